import ArgumentParser
import Foundation
import Shared

/// Benchmarks that print numbers (never timed unit tests). Run against the services that
/// `deploy/services.sh start` prints: `source .data/services/env && swift run -c release StockHubBench redis`.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "StockHubBench",
        abstract: "Measure StockHub's clients against real servers.",
        subcommands: [RedisBench.self, PostgresBench.self, LoginBench.self, TokenBench.self, QueueBench.self, PredictBench.self,
                      TrainingBench.self, SyntheticMarket.self, RateLimitBench.self])
}

struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "redis", abstract: "Redis round trips/s and pipelined commands/s.")

    @Option(help: "Requests per measurement.") var requests = 50_000
    @Option(help: "Pool size.") var pool = 16

    func run() async throws {
        let endpoint = try RedisEndpoint(url: ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0")
        let client = RedisClient(settings: RedisClientSettings(endpoint: endpoint, poolSize: pool))
        try await client.ping()
        print("redis \(endpoint), pool \(pool), \(requests) requests per row")
        for concurrency in [1, 16, 64] {
            let (seconds, latencies) = try await measure(requests: requests, concurrency: concurrency) {
                try await client.command("INCR", "bench:counter")
            }
            report("INCR, \(concurrency) concurrent", count: requests, seconds: seconds, latencies: latencies)
        }
        let batch = 100
        let batches = requests / batch
        let commands: [[RedisArgument]] = (0..<batch).map { _ in ["INCR", "bench:counter"] }
        let (seconds, latencies) = try await measure(requests: batches, concurrency: 16) {
            _ = try await client.pipeline(commands)
        }
        report("pipelines of \(batch) INCR, 16 concurrent", count: batches * batch, seconds: seconds, latencies: latencies, per: "batch")
        await client.shutdown()
    }
}

struct PostgresBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "postgres", abstract: "Parameterized SELECTs per second.")

    @Option(help: "Requests per measurement.") var requests = 20_000
    @Option(help: "Pool size.") var pool = 8

    func run() async throws {
        let url = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "postgres://stockhub@127.0.0.1:5432/stockhub"
        let db = PostgresClient(settings: PostgresClientSettings(url: url, poolSize: pool))
        try await db.ping()
        print("postgres \(db.settings.endpointDescription), pool \(pool), \(requests) requests per row")
        for concurrency in [1, 16, 64] {
            let (seconds, latencies) = try await measure(requests: requests, concurrency: concurrency) {
                _ = try await db.query("SELECT $1::int + 1 AS n", [41])
            }
            report("SELECT $1, \(concurrency) concurrent", count: requests, seconds: seconds, latencies: latencies)
        }
        await db.shutdown()
    }
}

struct LoginBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "POST /api/auth/login latency: right password, wrong password, unknown account.")

    @Option(help: "Base URL of a running WebAPI.") var url: String
    @Option(help: "An existing account's username.") var login: String
    @Option(help: "Its password.") var password: String
    @Option(help: "Logins per row.") var requests = 100
    @Option(help: "Concurrent logins.") var concurrency = 1

    func run() async throws {
        let http = HTTPClient(settings: HTTPClientSettings(timeout: .seconds(30), retry: .none, maxConnections: concurrency))
        let url = self.url
        @Sendable func attempt(_ login: String, _ password: String, expect status: Int) async throws {
            let body = try JSONSerialization.data(withJSONObject: ["login": login, "password": password])
            let response = try await http.send(HTTPClientRequest(
                method: "POST", url: url + "/api/auth/login", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body)))
            guard response.status == status else { throw ValidationError("expected \(status), got \(response.status): \(response.bodyText)") }
        }
        print("login latency, \(requests) per row, \(concurrency) concurrent")
        for (label, login, password, status) in [
            ("right password", self.login, self.password, 200),
            ("wrong password", self.login, "wrong-password-123", 401),
            ("unknown account", "nobody_\(UUID().uuidString.prefix(8))", "wrong-password-123", 401),
        ] {
            let (seconds, latencies) = try await measure(requests: requests, concurrency: concurrency) {
                try await attempt(login, password, expect: status)
            }
            report(label, count: requests, seconds: seconds, latencies: latencies)
        }
    }
}

struct TokenBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokens", abstract: "Access-token verifications per second, in process.")
    @Option(help: "Verifications per row.") var requests = 50_000

    func run() async throws {
        let tokens = await AccessTokens(secret: "bench-secret-0123456789abcdef0123456789abcdef", lifetime: 3600)
        let token = try await tokens.issue(for: UUID()).token
        for concurrency in [1, 2] {
            let (seconds, latencies) = try await measure(requests: requests, concurrency: concurrency) {
                _ = try await tokens.verify(token)
            }
            report("verify, \(concurrency) concurrent", count: requests, seconds: seconds, latencies: latencies)
        }
    }
}

struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "End-to-end jobs/s and enqueue-to-done latency, against Worker processes already running.")

    @Option(help: "Jobs for the throughput run.") var jobs = 5000
    @Option(help: "Jobs for the latency run (one at a time).") var latencyJobs = 200
    @Option(help: "REDIS_NAMESPACE the workers use.") var namespace = "stockhub"
    @Option(help: "Job type: ping (the queue's own cost) or predict (a forecast document per job).") var type = "ping"
    @Option(help: "Symbols the predict jobs cycle through (bundled data).") var symbols = "MSFT,SPX,IXIC"

    func validate() throws {
        guard ["ping", PredictRequest.jobType].contains(type) else { throw ValidationError("--type must be ping or predict") }
        for symbol in symbols.split(separator: ",") {
            do { _ = try PredictRequest(symbol: String(symbol)) } catch { throw ValidationError("--symbols: \(error)") }
        }
    }

    /// Each predict job its own request, not deduplicated: the benchmark measures the work.
    func params(_ index: Int) -> String {
        guard type == PredictRequest.jobType else { return "{}" }
        let list = symbols.split(separator: ",")
        return (try? PredictRequest(symbol: String(list[index % list.count])).params) ?? "{}"
    }

    func run() async throws {
        let endpoint = try RedisEndpoint(url: ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0")
        let redis = RedisClient(settings: RedisClientSettings(endpoint: endpoint, poolSize: 16))
        let queue = JobQueue(redis: redis, keys: RedisKeys(namespace: namespace).queue)
        try await queue.prepare()

        // Throughput: enqueue everything (4 producers, 100 jobs per round trip, so the producer
        // side is not what is measured), then wait until the stream is drained. A drained queue
        // means every job finished, not that it succeeded: the records say how each one ended,
        // and only `done` jobs count as work done.
        let batch = 100
        let remainder = jobs % batch
        let batches = (0..<(jobs / batch + (remainder > 0 ? 1 : 0))).map { index in
            (0..<(index == jobs / batch ? remainder : batch)).map { JobQueue.NewJob(type: type, params: params(index * batch + $0)) }
        }
        let deadBefore = try await queue.depth().deadLetters
        let start = ContinuousClock.now
        let ids = try await withThrowingTaskGroup(of: [(Int, [String])].self) { group in
            for producer in 0..<4 {
                group.addTask {
                    var mine: [(Int, [String])] = []
                    for index in stride(from: producer, to: batches.count, by: 4) { mine.append((index, try await queue.enqueue(batches[index]).map(\.id))) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }.sorted { $0.0 < $1.0 }.flatMap(\.1)
        let enqueued = ContinuousClock.now
        var deadAfter = deadBefore
        while true {
            let depth = try await queue.depth()
            deadAfter = depth.deadLetters
            if depth.stream == 0 && depth.pending == 0 && depth.delayed == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let total = seconds(start.duration(to: .now))
        var outcomes = try await Outcomes.read(ids, from: queue)
        outcomes.deadLettered = deadAfter - deadBefore
        let enqueueSeconds = seconds(start.duration(to: enqueued))
        let rate = Double(outcomes.done) / total
        print(String(format: "%d \(type) jobs: enqueued in %.2f s (%.0f/s), drained after %.2f s: \(outcomes.summary); \(rate < 100 ? "%.2f" : "%.0f") done jobs/s end to end",
                     jobs, enqueueSeconds, Double(jobs) / enqueueSeconds, total, rate))

        // Latency on an idle system: one job at a time, enqueue to done as seen by a poller.
        // Only jobs that end `done` give a latency; the others are counted beside it.
        var latencies: [Double] = []
        var latencyOutcomes = Outcomes()
        let latencyDeadBefore = try await queue.depth().deadLetters
        for index in 0..<latencyJobs {
            let t0 = ContinuousClock.now
            let job = try await queue.enqueue(type: type, params: params(index))
            var record = try await queue.record(job.id)
            while let status = record?.status, !status.isFinished {
                try await Task.sleep(for: .microseconds(200))
                record = try await queue.record(job.id)
            }
            let elapsed = seconds(t0.duration(to: .now))
            latencyOutcomes.add(status: record?.status, error: record?.error)
            if record?.status == .done { latencies.append(elapsed) }
        }
        latencyOutcomes.deadLettered = try await queue.depth().deadLetters - latencyDeadBefore
        let label = "enqueue -> done, idle, one at a time"
        if latencies.isEmpty {
            print(label.padding(toLength: 44, withPad: " ", startingAt: 0) + "no job done")
        } else {
            report(label, count: latencies.count, seconds: latencies.reduce(0, +), latencies: latencies, per: "done job")
        }
        print("latency jobs: \(latencyOutcomes.summary)")
        await redis.shutdown()
    }

    /// How a run's jobs ended, from their records: `done` is work done; the rest are failures.
    struct Outcomes {
        var done = 0, failed = 0, timeout = 0, unfinished = 0, missing = 0
        /// Dead letters added during the run (their records say `failed`, so they are among `failed`).
        var deadLettered = 0
        var firstError: String?

        var notDone: Int { failed + timeout + unfinished + missing }

        mutating func add(status: JobStatus?, error: String?) {
            switch status {
            case .done: done += 1; return
            case .failed: failed += 1
            case .timeout: timeout += 1
            case .queued, .running: unfinished += 1
            case nil: missing += 1
            }
            if firstError == nil, let error, !error.isEmpty { firstError = error }
        }

        /// "N done, M failed" and, when M > 0, what kind of failures and the first error.
        var summary: String {
            var text = "\(done) done, \(notDone) failed"
            guard notDone > 0 else { return text }
            var kinds: [String] = []
            if failed > 0 { kinds.append("\(failed) status failed" + (deadLettered > 0 ? " (\(deadLettered) dead-lettered)" : "")) }
            if timeout > 0 { kinds.append("\(timeout) timeout") }
            if unfinished > 0 { kinds.append("\(unfinished) still queued/running") }
            if missing > 0 { kinds.append("\(missing) record missing") }
            let error = firstError.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 } ?? "none recorded"
            text += " (" + kinds.joined(separator: ", ") + "; first error: \(error))"
            return text
        }

        /// Reads the status and error of every job, 1000 per pipelined round trip.
        static func read(_ ids: [String], from queue: JobQueue) async throws -> Outcomes {
            var outcomes = Outcomes()
            for chunk in stride(from: 0, to: ids.count, by: 1000).map({ ids[$0..<min($0 + 1000, ids.count)] }) {
                let replies = try await queue.redis.pipeline(chunk.map { ["HMGET", RedisArgument(queue.keys.job($0)), "status", "error"] })
                for reply in replies {
                    let fields = reply.array ?? []
                    let status = fields.first?.string.map { JobStatus(rawValue: $0) ?? .queued }
                    outcomes.add(status: status, error: fields.count > 1 ? fields[1].string : nil)
                }
            }
            return outcomes
        }
    }
}

/// Runs `body` `requests` times with `concurrency` tasks; returns wall time and each call's latency.
func measure(requests: Int, concurrency: Int, _ body: @escaping @Sendable () async throws -> Void) async throws -> (Double, [Double]) {
    let start = ContinuousClock.now
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for worker in 0..<concurrency {
            let share = requests / concurrency + (worker < requests % concurrency ? 1 : 0)
            group.addTask {
                var mine: [Double] = []
                mine.reserveCapacity(share)
                for _ in 0..<share {
                    let t0 = ContinuousClock.now
                    try await body()
                    mine.append(seconds(t0.duration(to: .now)))
                }
                return mine
            }
        }
        return try await group.reduce(into: [Double]()) { $0 += $1 }
    }
    return (seconds(start.duration(to: .now)), latencies)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func report(_ label: String, count: Int, seconds: Double, latencies: [Double], per: String = "call") {
    let sorted = latencies.sorted()
    let padded = label.padding(toLength: 44, withPad: " ", startingAt: 0)
    print(padded + String(format: "%10.0f ops/s   p50 %.3f ms   p99 %.3f ms", Double(count) / seconds,
                          percentile(sorted, 0.5) * 1000, percentile(sorted, 0.99) * 1000) + " (per \(per))")
}

/// The value at fraction `p` of `sorted` (ascending, not empty): the element at index ⌊n·p⌋.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
