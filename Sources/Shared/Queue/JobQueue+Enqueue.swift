import Foundation

extension JobQueue {
    public struct Enqueued: Sendable, Equatable {
        public let id: String
        /// True when an equal job was already in flight and its id is returned instead.
        public let deduplicated: Bool
    }

    /// A job to add, for `enqueue(_:)` of many at once.
    public struct NewJob: Sendable, Equatable {
        public var type: String
        public var params: String
        public var dedupKey: String?

        public init(type: String, params: String, dedupKey: String? = nil) {
            self.type = type
            self.params = params
            self.dedupKey = dedupKey
        }
    }

    /// Adds a job. With a `dedupKey`, a second request while the first is in flight returns the
    /// first job's id (the key is dropped when the job finishes).
    public func enqueue(type: String, params: String, dedupKey: String? = nil) async throws -> Enqueued {
        try await enqueue([NewJob(type: type, params: params, dedupKey: dedupKey)])[0]
    }

    /// Adds many jobs in one round trip (fan-out, benchmarks), in order. Each job is its own
    /// atomic enqueue with the same dedup rule, so two equal jobs in one call give one id.
    /// If this throws, some of the jobs may have been added: give them dedup keys if a retry
    /// must not add them twice.
    public func enqueue(_ jobs: [NewJob]) async throws -> [Enqueued] {
        let now = RedisArgument(Self.nowMilliseconds())
        let calls = jobs.map { job in
            let id = UUID().uuidString.lowercased()
            return RedisScriptCall(
                QueueScripts.enqueue,
                keys: [RedisArgument(keys.stream), RedisArgument(keys.job(id)), RedisArgument(job.dedupKey.map(keys.dedup) ?? ""), RedisArgument(keys.events(id))],
                arguments: [RedisArgument(id), RedisArgument(job.type), RedisArgument(job.params), now,
                            RedisArgument(settings.maxStreamLength), RedisArgument(max(1, settings.dedupTTL.wholeMilliseconds / 1000))])
        }
        let enqueued = try await redis.evaluate(calls).map { reply in
            guard let values = reply.array, values.count == 2, let jobID = values[0].string else {
                if case .error(let message) = reply { throw RedisError.replyError(command: "EVALSHA enqueue", message: message) }
                throw RedisError.unexpectedReply(command: "EVALSHA enqueue", reply: "\(reply)")
            }
            return Enqueued(id: jobID, deduplicated: values[1].int == 1)
        }
        if let metrics {
            // Counted per type once per call, not per job: a fan-out of thousands is a few increments.
            var added: [String: Int] = [:]
            for (job, result) in zip(jobs, enqueued) where !result.deduplicated { added[job.type, default: 0] += 1 }
            for (type, count) in added { metrics.jobsEnqueued(type: type, count: count) }
        }
        return enqueued
    }

    /// Progress and stage text for people watching the job; published as an event.
    public func report(_ jobID: String, progress: Double, stage: String) async throws {
        let clamped = min(1, max(0, progress))
        let event = try JSONSerialization.data(withJSONObject: ["status": "running", "progress": clamped, "stage": stage])
        _ = try await redis.pipeline([
            ["HSET", RedisArgument(keys.job(jobID)), "progress", RedisArgument(clamped), "stage", RedisArgument(stage)],
            ["PUBLISH", RedisArgument(keys.events(jobID)), RedisArgument(bytes: Array(event))],
        ])
    }
}
