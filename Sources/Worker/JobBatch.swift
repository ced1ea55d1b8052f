import Logging
import ServiceLifecycle
import Shared

/// Running one fetched batch: start every job (one round trip), run the handlers side by
/// side under one shared supervisor, record every outcome (one round trip). Each job still
/// goes through its own atomic `start` and outcome script (JobStates.md); only the sending is
/// shared. An entry is acknowledged only by the script that writes its outcome, so a batch
/// cut short by a crash leaves its unrecorded entries pending, to be reclaimed and run again.
extension WorkerService {
    /// A started job and the handler that runs it.
    struct StartedDelivery: Sendable {
        let delivery: JobDelivery
        let job: JobQueue.StartedJob
        let handler: any JobHandler
    }

    /// Runs the batch to its end; returns how long its handlers ran (for the next batch's size).
    func process(_ deliveries: [JobDelivery]) async -> Duration {
        if Task.isShuttingDownGracefully {
            await record(deliveries.map { Ended(delivery: $0, outcome: .release) })
            return .zero
        }
        let starts: [Result<JobQueue.StartOutcome, RedisError>]
        do {
            starts = try await queue.start(deliveries)
        } catch {
            // None or some of the starts ran: the entries stay pending either way and are
            // reclaimed after the visibility timeout (a start that ran counted its attempt).
            logger.error("could not start a batch of \(deliveries.count) jobs: \(error)")
            return .zero
        }
        var runnable: [StartedDelivery] = []
        var early: [Ended] = []
        var deadLettered: [(JobDelivery, String)] = []
        for (delivery, start) in zip(deliveries, starts) {
            switch start {
            case .failure(let error):
                logger.error("could not start the job: \(error)", metadata: ["job_id": "\(delivery.jobID)"])
            case .success(.gone):
                logger.debug("job record gone; entry dropped", metadata: ["job_id": "\(delivery.jobID)"])
            case .success(.deadLettered(let error)):
                deadLettered.append((delivery, error))
            case .success(.run(let job)):
                if let handler = handlers[job.type] {
                    runnable.append(StartedDelivery(delivery: delivery, job: job, handler: handler))
                } else {
                    early.append(Ended(delivery: delivery, outcome: .failed(error: "no handler for job type \(job.type)"), job: job))
                }
            }
        }
        if let metrics {
            for item in runnable { metrics.jobStarted(type: item.job.type) }
        }
        let began = ContinuousClock.now
        await execute(runnable, recordingAlso: early)
        let busy = began.duration(to: .now)
        for (delivery, error) in deadLettered {
            counters.add(.deadLettered)
            metrics?.jobDeadLettered()
            logger.error("job dead-lettered", metadata: ["job_id": "\(delivery.jobID)", "error": "\(error)"])
            if let alerts {
                await alerts.send(event: "job.dead_lettered", text: "StockHub job \(delivery.jobID) failed for good: \(error)",
                                  fields: ["job_id": delivery.jobID, "error": error], logger: logger)
            }
        }
        return busy
    }

    /// What ends a batch's wait besides its handlers.
    private enum Event: Sendable {
        case finished(index: Int, Result<String, any Error>, took: Duration)
        case timedOut
        case shuttingDown
    }

    /// Runs the handlers concurrently. One supervisor task per batch (not per job) touches the
    /// batch's entries every third of the visibility timeout and ends it at the job timeout
    /// (every job of a batch started in the same round trip, so they share the deadline);
    /// another ends it `shutdownGrace` after SIGTERM. Jobs still running then are recorded as
    /// timed out or released *before* waiting for their handlers to notice the cancellation.
    private func execute(_ batch: [StartedDelivery], recordingAlso early: [Ended]) async {
        guard !batch.isEmpty else {
            await record(early)
            return
        }
        let queue = self.queue, consumer = self.consumer, grace = self.shutdownGrace
        let deadline = ContinuousClock.now + jobTimeout
        let entries = batch.map(\.delivery)
        await withTaskGroup(of: Event?.self) { group in
            for (index, item) in batch.enumerated() {
                group.addTask {
                    let began = ContinuousClock.now
                    let result = await Result { try await item.handler.run(params: item.job.params) { progress, stage in
                        try? await queue.report(item.delivery.jobID, progress: progress, stage: stage)
                    } }
                    return .finished(index: index, result, took: began.duration(to: .now))
                }
            }
            group.addTask {
                let beat = queue.settings.visibilityTimeout / 3
                var nextBeat = ContinuousClock.now + beat
                while true {
                    do { try await Task.sleep(until: min(nextBeat, deadline), clock: .continuous) } catch { return nil }
                    if ContinuousClock.now >= deadline { return .timedOut }
                    // Finished jobs are touched too: their entries stay pending until recorded.
                    try? await queue.touch(entries, consumer: consumer)
                    nextBeat += beat
                }
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(for: grace)
                } catch {
                    return nil  // the batch ended first
                }
                return .shuttingDown
            }

            var ended = [Ended?](repeating: nil, count: batch.count)
            var remaining = batch.count
            var cutoff: JobQueue.Outcome?
            while remaining > 0, cutoff == nil, let event = await group.next() {
                switch event {
                case .finished(let index, let result, let took):
                    ended[index] = Ended(delivery: batch[index].delivery, outcome: outcome(of: result, batch[index].job), job: batch[index].job, took: took)
                    remaining -= 1
                case .timedOut:
                    cutoff = .failed(error: "not finished within \(jobTimeout) (JOB_TIMEOUT_SECONDS)", status: .timeout)
                case .shuttingDown:
                    cutoff = .release
                case nil:
                    continue
                }
            }
            let outcomes = batch.indices.map { index in
                ended[index] ?? Ended(delivery: batch[index].delivery, outcome: cutoff ?? .release, job: batch[index].job)
            }
            await record(early + outcomes)
            group.cancelAll()
        }
    }

    private func outcome(of result: Result<String, any Error>, _ job: JobQueue.StartedJob) -> JobQueue.Outcome {
        switch result {
        case .success(let value): .done(result: value)
        case .failure(JobFailure.permanent(let message)): .failed(error: message)
        case .failure(let error): .retry(error: "\(error)", attempt: job.attempts)
        }
    }

    /// An outcome to record, with what its log line says.
    struct Ended: Sendable {
        let delivery: JobDelivery
        let outcome: JobQueue.Outcome
        var job: JobQueue.StartedJob?
        var took: Duration?

        var metadata: Logger.Metadata {
            var metadata: Logger.Metadata = ["job_id": "\(delivery.jobID)"]
            if let job {
                metadata["type"] = "\(job.type)"
                metadata["attempt"] = "\(job.attempts)"
            }
            if let took { metadata["ms"] = "\(Int(took.milliseconds))" }
            return metadata
        }
    }

    /// Writes the outcomes in one round trip and logs them: a line per failure, a debug line
    /// per success (a busy worker finishes thousands a second; the counters summarize them).
    func record(_ outcomes: [Ended]) async {
        guard !outcomes.isEmpty else { return }
        let results: [Result<Void, RedisError>]
        do {
            results = try await queue.record(outcomes: outcomes.map { ($0.delivery, $0.outcome) })
        } catch {
            // Not written (Redis down, or the connection broke part way): the entries stay
            // pending and are reclaimed after the visibility timeout. Nothing is lost.
            logger.error("could not record the outcomes of \(outcomes.count) jobs: \(error)")
            return
        }
        var released = 0
        for (ended, result) in zip(outcomes, results) {
            if case .failure(let error) = result {
                logger.error("could not record the job's outcome: \(error)", metadata: ended.metadata)
                continue
            }
            if let metrics, let type = ended.job?.type {
                switch ended.outcome {
                case .done: metrics.jobEnded(type: type, failure: nil, took: ended.took)
                case .failed(_, .timeout): metrics.jobEnded(type: type, failure: "timeout", took: ended.took)
                case .failed: metrics.jobEnded(type: type, failure: "error", took: ended.took)
                case .retry: metrics.jobEnded(type: type, failure: "retry", took: ended.took)
                case .release: break  // not an end: the job runs again elsewhere
                }
            }
            switch ended.outcome {
            case .done:
                counters.add(.done)
                logger.debug("job done", metadata: ended.metadata)
            case .failed(let error, .timeout):
                counters.add(.timedOut)
                logger.warning("job timed out", metadata: ended.metadata.merging(["error": "\(error)"]) { $1 })
            case .failed(let error, _):
                counters.add(.failed)
                logger.warning("job failed", metadata: ended.metadata.merging(["error": "\(error)"]) { $1 })
            case .retry(let error, _):
                counters.add(.retried)
                logger.warning("job will be retried", metadata: ended.metadata.merging(["error": "\(error)"]) { $1 })
            case .release:
                counters.add(.released)
                released += 1
            }
        }
        if released > 0 { logger.info("jobs released for redelivery (shutting down)", metadata: ["jobs": "\(released)"]) }
    }
}
