import Foundation
import Shared

/// A diagnostic job: answers at once, or after `sleep_ms` (at most 60 s), or fails on purpose
/// (`"fail": "transient" | "permanent"`). Used by the queue benchmark and by operators to check
/// that workers are alive end to end.
struct PingJob: JobHandler {
    let type = "ping"

    struct Params: Decodable {
        var sleepMs: Int?
        var fail: String?
        var echo: String?
        enum CodingKeys: String, CodingKey {
            case sleepMs = "sleep_ms"
            case fail, echo
        }
    }

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        let input: Params
        do {
            input = try JSONDecoder().decode(Params.self, from: Data(params.utf8))
        } catch {
            throw JobFailure.permanent("ping params are not valid: \(error)")
        }
        if let sleep = input.sleepMs, sleep > 0 {
            await progress(0.1, "sleeping \(min(sleep, 60_000)) ms")
            try await Task.sleep(for: .milliseconds(min(sleep, 60_000)))
        }
        switch input.fail {
        case "transient": throw JobFailure.transient("ping asked to fail (transient)")
        case "permanent": throw JobFailure.permanent("ping asked to fail (permanent)")
        default: break
        }
        let echo = input.echo.map { #","echo":"\#($0.replacingOccurrences(of: "\"", with: "'"))""# } ?? ""
        return #"{"pong":true\#(echo)}"#
    }
}
