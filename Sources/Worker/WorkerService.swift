import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Consumes jobs: `concurrency` runners each fetch a batch of jobs, run its handlers, and
/// record the outcomes (JobBatch.swift); a maintenance loop promotes due retries. On SIGTERM
/// the runners stop fetching, a running batch gets `shutdownGrace` to finish, and what is
/// still running then is released for immediate redelivery: nothing is lost either way.
///
/// Batches exist because a Redis round trip costs far more than a short job (a `ping` is
/// microseconds): a batch takes one round trip to fetch, one to start every job and one to
/// record every outcome, whatever its size. Each runner sizes its batches by how long the
/// last one took (see `nextLimit`), so slow jobs still go one per runner and one worker does
/// not sit on a pile of them while others are idle.
struct WorkerService: Service {
    let queue: JobQueue
    let handlers: [String: any JobHandler]
    let consumer: String
    let concurrency: Int
    /// The most jobs one runner fetches and runs at once (WORKER_BATCH_SIZE).
    let batchSize: Int
    let jobTimeout: Duration
    let shutdownGrace: Duration
    let alerts: AlertWebhook?
    let logger: Logger
    /// Jobs started and ended by type, and their durations, for `/metrics` on METRICS_PORT.
    var metrics: StockHubMetrics? = nil
    let counters = WorkerCounters()

    func run() async throws {
        await prepareQueue()
        guard !Task.isShuttingDownGracefully else { return }
        logger.info("Worker consuming", metadata: [
            "consumer": "\(consumer)", "concurrency": "\(concurrency)", "batch_size": "\(batchSize)", "job_types": "\(handlers.keys.sorted())",
        ])
        await withDiscardingTaskGroup { group in
            for index in 0..<concurrency { group.addTask { await runner(index) } }
            group.addTask { await promoteRetries() }
        }
        logger.info("Worker runners stopped", metadata: counters.totals().metadata)
    }

    /// Redis may be down when the worker starts: keep trying until it answers or we are told to stop.
    private func prepareQueue() async {
        var delay = Duration.milliseconds(500)
        while !Task.isShuttingDownGracefully {
            do {
                try await queue.prepare()
                return
            } catch {
                logger.warning("queue not ready: \(error); retrying in \(delay)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    private func runner(_ index: Int) async {
        var nextReclaim = ContinuousClock.now + reclaimInterval * Double.random(in: 0.5...1)
        var limit = 1
        var failures = 0
        while !Task.isShuttingDownGracefully {
            do {
                var deliveries: [JobDelivery] = []
                if ContinuousClock.now >= nextReclaim {
                    deliveries = try await queue.reclaim(consumer: consumer, count: limit)
                    // A full take means more orphans may be waiting: look again after this batch.
                    nextReclaim = ContinuousClock.now + (deliveries.count == limit ? .zero : reclaimInterval)
                    if !deliveries.isEmpty {
                        logger.warning("reclaimed jobs from a dead consumer", metadata: [
                            "jobs": "\(deliveries.count)", "job_ids": "\(deliveries.prefix(5).map(\.jobID))",
                        ])
                    }
                }
                if deliveries.isEmpty { deliveries = try await queue.fetch(consumer: consumer, count: limit, block: .seconds(1)) }
                if !deliveries.isEmpty {
                    let busy = await process(deliveries)
                    limit = nextLimit(after: deliveries.count, took: busy)
                }
                failures = 0
            } catch {
                failures += 1
                let pause = Duration.milliseconds(min(5000, 100 * (1 << min(failures, 6))))
                logger.error("runner \(index): \(error); pausing \(pause)")
                try? await Task.sleep(for: pause)
            }
            if let counts = counters.takeIfDue(every: Self.countersPeriod) {
                logger.info("jobs ended in the last \(Self.countersPeriod)", metadata: counts.metadata)
            }
        }
    }

    /// A batch whose handlers were all done within this was made of short jobs.
    static let shortBatch = Duration.milliseconds(50)
    static let countersPeriod = Duration.seconds(60)

    /// Slow start: after a batch of short jobs, ask for up to twice as many as that batch held
    /// (it grows while the stream has work, and shrinks back when it had less); after a slow
    /// one, one job at a time. So a runner holds at most about twice the jobs it just finished
    /// quickly, and slow jobs are fetched one by one as before batching.
    private func nextLimit(after count: Int, took: Duration) -> Int {
        took <= Self.shortBatch ? min(batchSize, 2 * count) : 1
    }

    /// A delivery is reclaimed by others once idle for the visibility timeout; look for such
    /// orphans at half that period.
    private var reclaimInterval: Duration { queue.settings.visibilityTimeout / 2 }

    private func promoteRetries() async {
        while !Task.isShuttingDownGracefully {
            do { try await queue.promoteDue() } catch { logger.debug("promoting retries: \(error)") }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
