extension JobQueue {
    /// Moves retries that are due into the stream; returns how many moved. Any process may call
    /// it as often as it likes: the script makes concurrent promoters safe.
    @discardableResult
    public func promoteDue(batch: Int = 500) async throws -> Int {
        let reply = try await redis.evaluate(
            QueueScripts.promote, keys: [RedisArgument(keys.delayed), RedisArgument(keys.stream)],
            arguments: [RedisArgument(Self.nowMilliseconds()), RedisArgument(settings.maxStreamLength), RedisArgument(batch)])
        return reply.int ?? 0
    }

    /// Entries in the stream (waiting or delivered), delivered-but-unacknowledged, delayed retries, dead letters.
    public func depth() async throws -> (stream: Int, pending: Int, delayed: Int, deadLetters: Int) {
        let replies = try await redis.pipeline([
            ["XLEN", RedisArgument(keys.stream)],
            ["XPENDING", RedisArgument(keys.stream), RedisArgument(keys.group)],
            ["ZCARD", RedisArgument(keys.delayed)],
            ["XLEN", RedisArgument(keys.deadLetters)],
        ])
        return (replies[0].int ?? 0, replies[1].array?.first?.int ?? 0, replies[2].int ?? 0, replies[3].int ?? 0)
    }

    /// Unacknowledged deliveries per consumer, and how long the oldest has waited.
    public func pendingSummary() async throws -> (byConsumer: [String: Int], oldestAge: Duration?) {
        // XPENDING summary: [count, smallest id, largest id, [[consumer, count], …]]
        let reply = try await redis.command("XPENDING", RedisArgument(keys.stream), RedisArgument(keys.group))
        guard let parts = reply.array, parts.count == 4, (parts[0].int ?? 0) > 0 else { return ([:], nil) }
        var byConsumer: [String: Int] = [:]
        for consumer in parts[3].array ?? [] {
            if let pair = consumer.array, pair.count == 2, let name = pair[0].string { byConsumer[name] = pair[1].int ?? 0 }
        }
        // Entry ids start with their creation time in milliseconds.
        let oldest = parts[1].string?.split(separator: "-").first.flatMap { Int64($0) }
        return (byConsumer, oldest.map { .milliseconds(max(0, Self.nowMilliseconds() - $0)) })
    }
}
