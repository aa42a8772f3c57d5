import Synchronization

/// A database call did not get an answer in time.
public struct DatabaseDeadlineExceeded: Error, CustomStringConvertible {
    public var timeout: Duration
    public var description: String { "no answer from the database within \(self.timeout)" }

    public init(timeout: Duration) {
        self.timeout = timeout
    }
}

/// Runs a database call, canceling it after `timeout`.
///
/// PostgresNIO queues a call for as long as it cannot connect; a deadline turns that into an
/// error. When the deadline passes the call is canceled: one still waiting for a connection ends
/// (the pool drops the request, nothing was executed) and this throws ``DatabaseDeadlineExceeded``;
/// one already running is waited for, and if it then succeeds its result counts.
///
/// The wait after canceling is bounded by `grace`: PostgresNIO can miss a cancellation that comes
/// just as a request is being queued, and the request then waits until a connection comes, however
/// long the database stays away. Past `grace` the call is abandoned (still canceled) and this
/// throws; calls whose late execution would matter check for cancellation once they hold a
/// connection (``PostgresStore/insert(_:idempotency:accountID:timeout:)`` does), so that the error
/// still means "nothing was done".
///
/// The caller's own cancellation (graceful shutdown, say) cancels the call in the same way and
/// waits at most `grace` for it; unless the call then succeeded, this throws `CancellationError`.
public func withDatabaseDeadline<T: Sendable>(
    _ timeout: Duration,
    grace: Duration = .seconds(2),
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let call = Task { try await operation() }
    let deadline = Race<Result<T, any Error>?>()
    // The caller's own cancellation (e.g. at shutdown) ends the wait as the deadline does.
    let outcome = await withTaskCancellationHandler {
        await deadline.run(waitingFor: call, orAfter: timeout)
    } onCancel: {
        call.cancel()
        deadline.finish(nil)
    }
    switch outcome {
    case .some(.success(let value)):
        return value
    case .some(.failure(let error)):
        throw error
    case .none:
        call.cancel()
        if case .success(let value) = await Race().run(waitingFor: call, orAfter: grace) { return value }
        if Task.isCancelled { throw CancellationError() }
        throw DatabaseDeadlineExceeded(timeout: timeout)
    }
}

/// Resumes one waiter once, with whichever value comes first.
private final class Race<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        /// Set once decided (a box: `Value` is itself optional).
        var result: [Value] = []
        var cleanup: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// The result of `task`, or nil when `delay` passes first (the task goes on) or ``finish(_:)``
    /// decides first.
    func run<T: Sendable>(
        waitingFor task: Task<T, any Error>,
        orAfter delay: Duration
    ) async -> Value where Value == Result<T, any Error>? {
        await withCheckedContinuation { continuation in
            let decided = self.state.withLock { state -> [Value] in
                if state.result.isEmpty { state.continuation = continuation }
                return state.result
            }
            if let value = decided.first {
                continuation.resume(returning: value)
                return
            }
            let waiter = Task { self.finish(await task.result) }
            let timer = Task {
                try? await Task.sleep(for: delay)
                self.finish(nil)
            }
            self.onFinish {
                waiter.cancel()
                timer.cancel()
            }
        }
    }

    /// Runs `cleanup` once the race is decided (at once if it already is).
    private func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let decided = self.state.withLock { state -> Bool in
            if !state.result.isEmpty { return true }
            state.cleanup = cleanup
            return false
        }
        if decided { cleanup() }
    }

    /// Decides the race (the first call only).
    func finish(_ value: Value) {
        let (continuation, cleanup) = self.state.withLock {
            state -> (CheckedContinuation<Value, Never>?, (@Sendable () -> Void)?) in
            guard state.result.isEmpty else { return (nil, nil) }
            state.result = [value]
            defer {
                state.continuation = nil
                state.cleanup = nil
            }
            return (state.continuation, state.cleanup)
        }
        continuation?.resume(returning: value)
        cleanup?()
    }
}
