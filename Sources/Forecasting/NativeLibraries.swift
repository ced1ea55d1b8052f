import COpenBLAS
import CXGBoost

/// Versions of the native numeric libraries the models run on, for start-up logs and
/// `/api/status`. Calling them also proves at start that both libraries load.
public enum NativeLibraries {
    public static var xgboostVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        XGBoostVersion(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    public static var openBLASConfig: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
    }
}
