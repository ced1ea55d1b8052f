import CXGBoost
import Foundation
import Synchronization

/// One XGBoost booster through its C API (libxgboost 1.7): trained from a dense Float matrix,
/// serialised to a buffer for artifacts, loaded back, asked for predictions. The handle is
/// freed with the object; calls on it are serialised by a lock (a booster's predict keeps
/// per-handle buffers), which is what makes sharing it across threads sound.
final class XGBooster: @unchecked Sendable {
    private let booster: BoosterHandle
    private let lock = Mutex(())

    /// Trains `rounds` rounds on `rows` × `columns` features (row-major) and one label per row.
    init(features: [Float], rows: Int, columns: Int, labels: [Float], parameters: [(String, String)], rounds: Int) throws {
        precondition(features.count == rows * columns && labels.count == rows, "one label per row of features")
        let matrix = try DenseMatrix(features, rows: rows, columns: columns)
        try Self.check(labels.withUnsafeBufferPointer { XGDMatrixSetFloatInfo(matrix.handle, "label", $0.baseAddress, bst_ulong(rows)) })
        var booster: BoosterHandle?
        var source: DMatrixHandle? = matrix.handle
        try Self.check(XGBoosterCreate(&source, 1, &booster))
        guard let booster else { throw ForecastError.fitFailed(model: "xgboost", reason: "XGBoosterCreate returned no booster") }
        do {
            for (name, value) in parameters { try Self.check(XGBoosterSetParam(booster, name, value)) }
            for round in 0..<rounds { try Self.check(XGBoosterUpdateOneIter(booster, Int32(round), matrix.handle)) }
        } catch {
            XGBoosterFree(booster)
            throw error
        }
        self.booster = booster
    }

    /// A booster saved by `serialized()`.
    init(serialized bytes: [UInt8]) throws {
        var booster: BoosterHandle?
        try Self.check(XGBoosterCreate(nil, 0, &booster))
        guard let booster else { throw ForecastError.fitFailed(model: "xgboost", reason: "XGBoosterCreate returned no booster") }
        do {
            try Self.check(bytes.withUnsafeBytes { XGBoosterLoadModelFromBuffer(booster, $0.baseAddress, bst_ulong($0.count)) })
        } catch {
            XGBoosterFree(booster)
            throw error
        }
        self.booster = booster
    }

    deinit { XGBoosterFree(booster) }

    /// One prediction per row.
    func predict(_ features: [Float], rows: Int, columns: Int) throws -> [Float] {
        let matrix = try DenseMatrix(features, rows: rows, columns: columns)
        return try lock.withLock { _ in
            var shape: UnsafePointer<bst_ulong>?
            var dimensions: bst_ulong = 0
            var result: UnsafePointer<Float>?
            // type 0: plain predictions; training false: no dropout or row sampling at predict time.
            try Self.check(XGBoosterPredictFromDMatrix(booster, matrix.handle, #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false}"#,
                                                       &shape, &dimensions, &result))
            guard let result else { throw ForecastError.fitFailed(model: "xgboost", reason: "XGBoost returned no predictions") }
            return Array(UnsafeBufferPointer(start: result, count: rows))
        }
    }

    /// The model in XGBoost's binary format: measured with 1.7.4 on our boosters, 0.5× the
    /// size of its UBJSON and 40× faster to load (0.12 ms against 5.7 ms a booster), which a
    /// predict job served from storage pays for every booster. XGBoost 2 still reads it; an
    /// artifact is retrained with its MODEL_VERSION anyway.
    func serialized() throws -> [UInt8] {
        try lock.withLock { _ in
            var length: bst_ulong = 0
            var bytes: UnsafePointer<CChar>?
            try Self.check(XGBoosterSaveModelToBuffer(booster, #"{"format": "deprecated"}"#, &length, &bytes))
            guard let bytes else { return [] }
            return bytes.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { Array(UnsafeBufferPointer(start: $0, count: Int(length))) }
        }
    }

    static func check(_ status: Int32) throws {
        guard status != 0 else { return }
        throw ForecastError.fitFailed(model: "xgboost", reason: String(cString: XGBGetLastError()))
    }
}

/// A DMatrix over a dense row-major buffer (copied by XGBoost), freed with the object.
private final class DenseMatrix {
    let handle: DMatrixHandle

    init(_ values: [Float], rows: Int, columns: Int) throws {
        var matrix: DMatrixHandle?
        try XGBooster.check(values.withUnsafeBufferPointer { XGDMatrixCreateFromMat($0.baseAddress, bst_ulong(rows), bst_ulong(columns), .nan, &matrix) })
        guard let matrix else { throw ForecastError.fitFailed(model: "xgboost", reason: "XGDMatrixCreateFromMat returned no matrix") }
        handle = matrix
    }

    deinit { XGDMatrixFree(handle) }
}
