import Foundation

extension JobQueue {
    public struct Enqueued: Sendable, Equatable {
        public let id: String
        /// True when an equal job was already in flight and its id is returned instead.
        public let deduplicated: Bool
    }

    /// Adds a job. With a `dedupKey`, a second request while the first is in flight returns the
    /// first job's id (the key is dropped when the job finishes).
    public func enqueue(type: String, params: String, dedupKey: String? = nil) async throws -> Enqueued {
        let id = UUID().uuidString.lowercased()
        let reply = try await redis.evaluate(
            QueueScripts.enqueue,
            keys: [RedisArgument(keys.stream), RedisArgument(keys.job(id)), RedisArgument(dedupKey.map(keys.dedup) ?? ""), RedisArgument(keys.events(id))],
            arguments: [RedisArgument(id), RedisArgument(type), RedisArgument(params), RedisArgument(Self.nowMilliseconds()),
                        RedisArgument(settings.maxStreamLength), RedisArgument(max(1, settings.dedupTTL.wholeMilliseconds / 1000))])
        guard let values = reply.array, values.count == 2, let jobID = values[0].string else {
            throw RedisError.unexpectedReply(command: "EVAL enqueue", reply: "\(reply)")
        }
        return Enqueued(id: jobID, deduplicated: values[1].int == 1)
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
