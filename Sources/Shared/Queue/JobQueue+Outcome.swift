import Foundation

extension JobQueue {
    /// Records the result and acknowledges the entry in one step (the job cannot be done but
    /// unacknowledged, nor acknowledged without its result).
    public func complete(_ delivery: JobDelivery, result: String) async throws {
        try await finish(delivery, status: .done, field: "result", value: result)
    }

    /// A permanent failure (bad input, unknown symbol): no retry.
    public func fail(_ delivery: JobDelivery, error: String, status: JobStatus = .failed) async throws {
        try await finish(delivery, status: status, field: "error", value: error)
    }

    /// A transient failure: retried after exponential backoff with full jitter, through the
    /// delayed set. `attempt` is the attempt that just failed (1 for the first).
    public func retry(_ delivery: JobDelivery, error: String, attempt: Int) async throws {
        let ceiling = min(settings.retryMaxDelay.milliseconds, settings.retryBaseDelay.milliseconds * pow(2, Double(max(0, attempt - 1))))
        let due = Self.nowMilliseconds() + Int64(Double.random(in: 0...ceiling))
        try await redis.evaluate(
            QueueScripts.retry,
            keys: [RedisArgument(keys.stream), RedisArgument(keys.job(delivery.jobID)), RedisArgument(keys.events(delivery.jobID)), RedisArgument(keys.delayed)],
            arguments: [RedisArgument(delivery.entryID), RedisArgument(keys.group), RedisArgument(error), RedisArgument(due), RedisArgument(delivery.jobID)])
    }

    /// Hands the job back for immediate redelivery without counting the attempt (shutdown).
    public func release(_ delivery: JobDelivery) async throws {
        try await redis.evaluate(
            QueueScripts.release,
            keys: [RedisArgument(keys.stream), RedisArgument(keys.job(delivery.jobID)), RedisArgument(keys.events(delivery.jobID))],
            arguments: [RedisArgument(delivery.entryID), RedisArgument(keys.group), RedisArgument(delivery.jobID), RedisArgument(settings.maxStreamLength)])
    }

    /// The most recent dead letters, newest first: (job id, type, attempts, error).
    public func deadLetters(limit: Int) async throws -> [(jobID: String, type: String, attempts: Int, error: String)] {
        let reply = try await redis.command("XREVRANGE", RedisArgument(keys.deadLetters), "+", "-", "COUNT", RedisArgument(limit))
        return (reply.array ?? []).compactMap { entry in
            guard let values = entry.array?.last?.fieldMap else { return nil }
            return (values["job"] ?? "", values["type"] ?? "", Int(values["attempts"] ?? "") ?? 0, values["error"] ?? "")
        }
    }

    private func finish(_ delivery: JobDelivery, status: JobStatus, field: String, value: String) async throws {
        try await redis.evaluate(
            QueueScripts.finish,
            keys: [RedisArgument(keys.stream), RedisArgument(keys.job(delivery.jobID)), RedisArgument(keys.events(delivery.jobID))],
            arguments: [RedisArgument(delivery.entryID), RedisArgument(keys.group), RedisArgument(status.rawValue), RedisArgument(field),
                        RedisArgument(value), RedisArgument(Self.nowMilliseconds()), RedisArgument(settings.recordTTL.wholeMilliseconds / 1000)])
    }
}
