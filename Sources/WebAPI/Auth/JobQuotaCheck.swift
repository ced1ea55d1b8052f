import Hummingbird
import Shared

/// The `JOB_QUOTA` rule at the routes that create jobs, in one place: a signed-in caller is
/// charged one unit per request that may enqueue (after any cache hit, so cached answers are
/// free); `X-Admin-Key` callers (operators' automation, with no user to charge) are exempt.
/// Over the quota: 429 with Retry-After in whole seconds.
struct JobQuotaCheck: Sendable {
    let quota: JobQuota

    func charge(_ identity: Identity?) async throws {
        guard let userID = identity?.userID else { return }
        guard let wait = try await quota.take(user: userID.uuidString.lowercased()) else { return }
        let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
        throw APIError.tooManyRequests(
            "This account has created its quota of jobs (JOB_QUOTA = \(quota.limits.map(\.description).joined(separator: ","))); try again in \(seconds) s.",
            retryAfterSeconds: seconds)
    }
}
