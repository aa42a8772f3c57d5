import PostgresNIO
import ServiceLifecycle

/// Whether a call failed only because its task was canceled — at shutdown, gracefully or past its
/// deadline — rather than for a fault: the loops log that at debug, not as a warning. A
/// cancellation shows as `CancellationError` (``withDatabaseDeadline(_:grace:_:)``, sleeps), as
/// PostgresNIO's `queryCancelled`, or as whatever a call cut short threw while its task was canceled.
func isCancellation(_ error: any Error) -> Bool {
    if Task.isCancelled || error is CancellationError { return true }
    let error = (error as? PostgresTransactionError).flatMap { $0.closureError } ?? error
    return (error as? PSQLError)?.code == .queryCancelled
}

/// Whether a loop's call failed because the service is stopping — a graceful shutdown began, or
/// the call was canceled (``isCancellation(_:)``): the claim loops log that at debug and stop
/// without counting a failure.
func isStopping(_ error: any Error) -> Bool {
    Task.isShuttingDownGracefully || isCancellation(error)
}
