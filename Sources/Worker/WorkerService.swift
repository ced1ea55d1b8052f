import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Consumes jobs: `concurrency` runners each fetch one job at a time, run its handler, and
/// record the outcome; a maintenance loop promotes due retries. On SIGTERM the runners stop
/// fetching, a running job gets `shutdownGrace` to finish, and is otherwise released for
/// immediate redelivery: nothing is lost either way.
struct WorkerService: Service {
    let queue: JobQueue
    let handlers: [String: any JobHandler]
    let consumer: String
    let concurrency: Int
    let jobTimeout: Duration
    let shutdownGrace: Duration
    let alerts: AlertWebhook?
    let logger: Logger

    func run() async throws {
        await prepareQueue()
        guard !Task.isShuttingDownGracefully else { return }
        logger.info("Worker consuming", metadata: [
            "consumer": "\(consumer)", "concurrency": "\(concurrency)", "job_types": "\(handlers.keys.sorted())",
        ])
        await withDiscardingTaskGroup { group in
            for index in 0..<concurrency { group.addTask { await runner(index) } }
            group.addTask { await promoteRetries() }
        }
        logger.info("Worker runners stopped")
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
        var failures = 0
        while !Task.isShuttingDownGracefully {
            do {
                var deliveries: [JobDelivery] = []
                if ContinuousClock.now >= nextReclaim {
                    deliveries = try await queue.reclaim(consumer: consumer, count: 1)
                    nextReclaim = ContinuousClock.now + reclaimInterval
                    if !deliveries.isEmpty { logger.warning("reclaimed a job from a dead consumer", metadata: ["job_id": "\(deliveries[0].jobID)"]) }
                }
                if deliveries.isEmpty { deliveries = try await queue.fetch(consumer: consumer, count: 1, block: .seconds(1)) }
                for delivery in deliveries { await process(delivery) }
                failures = 0
            } catch {
                failures += 1
                let pause = Duration.milliseconds(min(5000, 100 * (1 << min(failures, 6))))
                logger.error("runner \(index): \(error); pausing \(pause)")
                try? await Task.sleep(for: pause)
            }
        }
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

    private enum Ending: Sendable {
        case finished(Result<String, any Error>)
        case timedOut
        case shuttingDown
    }

    private func process(_ delivery: JobDelivery) async {
        var metadata: Logger.Metadata = ["job_id": "\(delivery.jobID)"]
        do {
            if Task.isShuttingDownGracefully {
                try await queue.release(delivery)
                return
            }
            let job: JobQueue.StartedJob
            switch try await queue.start(delivery) {
            case .gone:
                return
            case .deadLettered(let error):
                logger.error("job dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                if let alerts { await alerts.send(event: "job.dead_lettered", text: "StockHub job \(delivery.jobID) failed for good: \(error)",
                                                  fields: ["job_id": delivery.jobID, "error": error], logger: logger) }
                return
            case .run(let started):
                job = started
            }
            guard let handler = handlers[job.type] else {
                try await queue.fail(delivery, error: "no handler for job type \(job.type)")
                return
            }
            metadata["type"] = "\(job.type)"
            metadata["attempt"] = "\(job.attempts)"
            let started = ContinuousClock.now
            switch await execute(handler, job, delivery) {
            case .finished(.success(let result)):
                try await queue.complete(delivery, result: result)
                logger.info("job done", metadata: metadata.merging(["ms": "\(Int(started.duration(to: .now).milliseconds))"]) { $1 })
            case .finished(.failure(JobFailure.permanent(let message))):
                try await queue.fail(delivery, error: message)
                logger.warning("job failed", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            case .finished(.failure(let error)):
                try await queue.retry(delivery, error: "\(error)", attempt: job.attempts)
                logger.warning("job will be retried", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            case .timedOut:
                try await queue.fail(delivery, error: "not finished within \(jobTimeout) (JOB_TIMEOUT_SECONDS)", status: .timeout)
                logger.warning("job timed out", metadata: metadata)
            case .shuttingDown:
                try await queue.release(delivery)
                logger.info("job released for redelivery (shutting down)", metadata: metadata)
            }
        } catch {
            // The outcome could not be written (Redis down): the entry stays pending and is
            // reclaimed after the visibility timeout. Nothing is lost.
            logger.error("could not record the job's outcome: \(error)", metadata: metadata)
        }
    }

    /// Runs the handler against the job timeout and the shutdown grace period, touching the
    /// delivery meanwhile so a long job is not mistaken for an orphan.
    private func execute(_ handler: any JobHandler, _ job: JobQueue.StartedJob, _ delivery: JobDelivery) async -> Ending {
        let queue = self.queue, consumer = self.consumer, jobTimeout = self.jobTimeout, grace = self.shutdownGrace
        return await withTaskGroup(of: Ending?.self) { group in
            group.addTask {
                let result = await Result { try await handler.run(params: job.params) { progress, stage in
                    try? await queue.report(delivery.jobID, progress: progress, stage: stage)
                } }
                return .finished(result)
            }
            group.addTask {
                try? await Task.sleep(for: jobTimeout)
                return Task.isCancelled ? nil : .timedOut
            }
            group.addTask {
                try? await gracefulShutdown()
                guard !Task.isCancelled else { return nil }
                try? await Task.sleep(for: grace)
                return Task.isCancelled ? nil : .shuttingDown
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: queue.settings.visibilityTimeout / 3)
                    if !Task.isCancelled { try? await queue.touch(delivery, consumer: consumer) }
                }
                return nil
            }
            var ending: Ending = .shuttingDown
            for await next in group {
                if let next {
                    ending = next
                    break
                }
            }
            group.cancelAll()
            return ending
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
