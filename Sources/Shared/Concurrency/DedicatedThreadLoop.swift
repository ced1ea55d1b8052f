import NIOPosix
import ServiceLifecycle

/// Runs `loop`, which blocks its thread (a hiredis subscription), on `thread` until graceful
/// shutdown or cancellation (a ServiceGroup cancels when another service fails) calls `stop`,
/// which the loop must notice; then shuts the thread down. Without both handlers the process
/// could never exit.
func runOnDedicatedThread(_ thread: NIOThreadPool, stop: @escaping @Sendable () -> Void,
                          _ loop: @escaping @Sendable () -> Void) async throws {
    try await withTaskCancellationHandler {
        try await withGracefulShutdownHandler {
            try await thread.runIfActive { loop() }
        } onGracefulShutdown: {
            stop()
        }
    } onCancel: {
        stop()
    }
}
