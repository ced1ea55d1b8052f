import Foundation

extension JobQueue {
    /// New entries for this consumer, waiting up to `block` for the first.
    public func fetch(consumer: String, count: Int, block: Duration) async throws -> [JobDelivery] {
        let reply = try await redis.command([
            "XREADGROUP", "GROUP", RedisArgument(keys.group), RedisArgument(consumer), "COUNT", RedisArgument(count),
            "BLOCK", RedisArgument(max(1, block.wholeMilliseconds)), "STREAMS", RedisArgument(keys.stream), ">",
        ], timeout: block + .seconds(2))
        // [[stream, [[entry id, [field, value, …]], …]]] or nil when nothing arrived.
        guard let streams = reply.array, let entries = streams.first?.array?.last?.array else { return [] }
        return entries.compactMap(Self.delivery)
    }

    /// Takes over entries another consumer has held longer than the visibility timeout (its
    /// worker died). XAUTOCLAIM without JUSTID, so each takeover counts as a delivery.
    /// Entries whose stream data was trimmed come back from the job record instead.
    public func reclaim(consumer: String, count: Int) async throws -> [JobDelivery] {
        let reply = try await redis.command([
            "XAUTOCLAIM", RedisArgument(keys.stream), RedisArgument(keys.group), RedisArgument(consumer),
            RedisArgument(settings.visibilityTimeout.wholeMilliseconds), "0-0", "COUNT", RedisArgument(count),
        ])
        guard let parts = reply.array, parts.count >= 2 else { return [] }
        return (parts[1].array ?? []).compactMap(Self.delivery)
    }

    /// What a started job needs to run: its type, input and the attempt number.
    public struct StartedJob: Sendable, Equatable {
        public let type: String
        public let params: String
        public let attempts: Int
    }

    public enum StartOutcome: Sendable, Equatable {
        /// Run the handler now.
        case run(StartedJob)
        /// The job used up its attempts and is now in the dead letters (with this error).
        case deadLettered(String)
        /// The job's record is gone (expired or deleted): the entry was dropped.
        case gone
    }

    /// Marks the delivery running and counts the attempt, or dead-letters a job past its attempts.
    public func start(_ delivery: JobDelivery) async throws -> StartOutcome {
        try await start([delivery])[0].get()
    }

    /// `start` for a fetched batch in one round trip: each delivery still gets its own atomic
    /// `start` script, so the state machine is the same as one at a time. A failed result leaves
    /// that entry pending (it is reclaimed after the visibility timeout, like after a crash).
    public func start(_ deliveries: [JobDelivery]) async throws -> [Result<StartOutcome, RedisError>] {
        let now = RedisArgument(Self.nowMilliseconds())
        let calls = deliveries.map { delivery in
            RedisScriptCall(
                QueueScripts.start,
                keys: [RedisArgument(keys.stream), RedisArgument(keys.job(delivery.jobID)), RedisArgument(keys.events(delivery.jobID)), RedisArgument(keys.deadLetters)],
                arguments: [RedisArgument(delivery.entryID), RedisArgument(keys.group), now,
                            RedisArgument(settings.maxAttempts), RedisArgument(settings.recordTTL.wholeMilliseconds / 1000), RedisArgument(delivery.jobID)])
        }
        return try await redis.evaluate(calls).map { reply in
            if case .error(let message) = reply { return .failure(.replyError(command: "EVALSHA start", message: message)) }
            let parts = reply.array ?? []
            switch parts.first?.string {
            case "run":
                return .success(.run(StartedJob(type: parts[1].string ?? "", params: parts[2].string ?? "{}", attempts: parts[3].int ?? 1)))
            case "dead":
                return .success(.deadLettered(parts.count > 1 ? parts[1].string ?? "attempts exhausted" : "attempts exhausted"))
            default:
                return .success(.gone)
            }
        }
    }

    /// Resets the delivery's idle time so a long job is not reclaimed while its worker lives.
    /// JUSTID: a heartbeat is not a delivery.
    public func touch(_ delivery: JobDelivery, consumer: String) async throws {
        try await touch([delivery], consumer: consumer)
    }

    /// `touch` for a batch: one XCLAIM names every entry.
    public func touch(_ deliveries: [JobDelivery], consumer: String) async throws {
        guard !deliveries.isEmpty else { return }
        try await redis.command(["XCLAIM", RedisArgument(keys.stream), RedisArgument(keys.group), RedisArgument(consumer), 0]
                                + deliveries.map { RedisArgument($0.entryID) } + ["JUSTID"])
    }

    private static func delivery(_ entry: RedisValue) -> JobDelivery? {
        guard let parts = entry.array, parts.count == 2, let entryID = parts[0].string, let fields = parts[1].array else { return nil }
        var index = 0
        while index + 1 < fields.count {
            if fields[index].string == "job", let jobID = fields[index + 1].string { return JobDelivery(entryID: entryID, jobID: jobID) }
            index += 2
        }
        return nil
    }
}
