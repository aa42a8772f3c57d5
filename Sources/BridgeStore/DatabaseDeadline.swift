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
/// error. A call still waiting for a connection when the deadline passes is canceled (the pool
/// drops the request, so nothing was executed) and ends with ``DatabaseDeadlineExceeded``. A call
/// that already runs is waited for: if it then succeeds, its result counts, so the error always
/// means "nothing was done".
public func withDatabaseDeadline<T: Sendable>(
    _ timeout: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: DeadlineEvent<T>.self) { group in
        group.addTask {
            do { return .finished(.success(try await operation())) } catch { return .finished(.failure(error)) }
        }
        group.addTask {
            do {
                try await Task.sleep(for: timeout)
                return .deadline
            } catch {
                return .timerCanceled
            }
        }
        var timedOut = false
        while let event = try await group.next() {
            switch event {
            case .finished(.success(let value)):
                group.cancelAll()
                return value
            case .finished(.failure(let error)):
                group.cancelAll()
                throw timedOut ? DatabaseDeadlineExceeded(timeout: timeout) : error
            case .deadline:
                // Cancel the operation and see how it ends: still waiting (nothing done) or done.
                timedOut = true
                group.cancelAll()
            case .timerCanceled:
                continue
            }
        }
        throw DatabaseDeadlineExceeded(timeout: timeout)
    }
}

/// What ends first in ``withDatabaseDeadline(_:_:)``.
private enum DeadlineEvent<T: Sendable>: Sendable {
    case finished(Result<T, any Error>)
    case deadline
    case timerCanceled
}
