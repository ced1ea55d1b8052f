import Foundation

extension JobQueue {
    /// How a started job ended, as the worker records it.
    public enum Outcome: Sendable, Equatable {
        /// Finished: the result is kept (running -> done).
        case done(result: String)
        /// Retrying cannot help (running -> failed), or it ran past the job timeout (-> timeout).
        case failed(error: String, status: JobStatus = .failed)
        /// A transient failure: retried after backoff through the delayed set. `attempt` is
        /// the attempt that just failed (1 for the first).
        case retry(error: String, attempt: Int)
        /// Handed back for immediate redelivery without counting the attempt (shutdown).
        case release
    }

    /// Records the result and acknowledges the entry in one step (the job cannot be done but
    /// unacknowledged, nor acknowledged without its result).
    public func complete(_ delivery: JobDelivery, result: String) async throws {
        try await record(.done(result: result), for: delivery)
    }

    /// A permanent failure (bad input, unknown symbol): no retry.
    public func fail(_ delivery: JobDelivery, error: String, status: JobStatus = .failed) async throws {
        try await record(.failed(error: error, status: status), for: delivery)
    }

    /// A transient failure: retried after exponential backoff with full jitter, through the
    /// delayed set. `attempt` is the attempt that just failed (1 for the first).
    public func retry(_ delivery: JobDelivery, error: String, attempt: Int) async throws {
        try await record(.retry(error: error, attempt: attempt), for: delivery)
    }

    /// Hands the job back for immediate redelivery without counting the attempt (shutdown).
    public func release(_ delivery: JobDelivery) async throws {
        try await record(.release, for: delivery)
    }

    private func record(_ outcome: Outcome, for delivery: JobDelivery) async throws {
        try await record(outcomes: [(delivery, outcome)])[0].get()
    }

    /// Records a batch of outcomes in one round trip. Each is its own atomic script that writes
    /// the outcome and acknowledges the entry together (see JobStates.md), so at-least-once
    /// holds per job: a failed result (or a throw) leaves that entry pending, to be reclaimed
    /// and run again. Give each delivery at most once per call.
    public func record(outcomes: [(JobDelivery, Outcome)]) async throws -> [Result<Void, RedisError>] {
        let now = Self.nowMilliseconds()
        let replies = try await redis.evaluate(outcomes.map { call(for: $0.1, of: $0.0, now: now) })
        return replies.map { reply in
            if case .error(let message) = reply { .failure(.replyError(command: "EVALSHA outcome", message: message)) } else { .success(()) }
        }
    }

    private func call(for outcome: Outcome, of delivery: JobDelivery, now: Int64) -> RedisScriptCall {
        let stream = RedisArgument(keys.stream), job = RedisArgument(keys.job(delivery.jobID)), events = RedisArgument(keys.events(delivery.jobID))
        let entry = RedisArgument(delivery.entryID), group = RedisArgument(keys.group)
        func finish(_ status: JobStatus, _ field: String, _ value: String) -> RedisScriptCall {
            RedisScriptCall(QueueScripts.finish, keys: [stream, job, events],
                            arguments: [entry, group, RedisArgument(status.rawValue), RedisArgument(field), RedisArgument(value),
                                        RedisArgument(now), RedisArgument(settings.recordTTL.wholeMilliseconds / 1000)])
        }
        switch outcome {
        case .done(let result):
            return finish(.done, "result", result)
        case .failed(let error, let status):
            return finish(status, "error", error)
        case .retry(let error, let attempt):
            let ceiling = min(settings.retryMaxDelay.milliseconds, settings.retryBaseDelay.milliseconds * pow(2, Double(max(0, attempt - 1))))
            let due = now + Int64(Double.random(in: 0...ceiling))
            return RedisScriptCall(QueueScripts.retry, keys: [stream, job, events, RedisArgument(keys.delayed)],
                                   arguments: [entry, group, RedisArgument(error), RedisArgument(due), RedisArgument(delivery.jobID)])
        case .release:
            return RedisScriptCall(QueueScripts.release, keys: [stream, job, events],
                                   arguments: [entry, group, RedisArgument(delivery.jobID), RedisArgument(settings.maxStreamLength)])
        }
    }

    /// The most recent dead letters, newest first: (job id, type, attempts, error).
    public func deadLetters(limit: Int) async throws -> [(jobID: String, type: String, attempts: Int, error: String)] {
        let reply = try await redis.command("XREVRANGE", RedisArgument(keys.deadLetters), "+", "-", "COUNT", RedisArgument(limit))
        return (reply.array ?? []).compactMap { entry in
            guard let values = entry.array?.last?.fieldMap else { return nil }
            return (values["job"] ?? "", values["type"] ?? "", Int(values["attempts"] ?? "") ?? 0, values["error"] ?? "")
        }
    }
}
