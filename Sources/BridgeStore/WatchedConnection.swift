public import Logging
import NIOCore
public import PostgresNIO
import Synchronization

/// Work on a leased connection ended because the connection closed under it and the work did not
/// end by itself: a statement sent after the close is never answered.
public struct ConnectionClosedUnderWork: Error, CustomStringConvertible {
    public var description: String { "the database connection closed while a statement was waiting for its answer" }
}

extension PostgresClient {
    /// `withConnection`, except that work whose connection closes under it ends with
    /// ``ConnectionClosedUnderWork`` once `grace` has passed since the close, instead of waiting for
    /// ever. PostgresNIO (1.33) gives a statement sent on a connection that has closed — the server
    /// ended it between two statements of a lease, as every session at a restart — to the closed
    /// channel with no promise, so the statement's caller is never answered; the work then held its
    /// lease for ever, and a database call's deadline could abandon the call but not give the lease
    /// back. The work runs as a task of its own, left behind (waiting) in that case; it starts at
    /// once on the caller's thread (`Task.immediate`): a task enqueued on the two-thread pool cost a
    /// fifth of the accept rate at saturation, every transaction waiting for its turn.
    public func withWatchedConnection<T: Sendable>(
        grace: Duration = .seconds(1),
        _ work: sending @escaping (PostgresConnection) async throws -> T
    ) async throws -> T {
        // `work` was sent here and goes on to its task alone; the closure of `withConnection` that
        // carries it there is not `sending`, so the compiler cannot see that.
        nonisolated(unsafe) let work = work
        return try await self.withConnection { connection in
            // The work's task does not inherit the caller's cancellation: a caller that gave up
            // while the lease came (a deadline) must not start it — an insert would be made that
            // its client was told failed.
            try Task.checkCancellation()
            let race = Race<T>()
            let task = Task.immediate {
                do { race.finish(.success(try await work(connection))) } catch { race.finish(.failure(error)) }
            }
            let watch = ClosedConnections.shared.watch(connection) {
                _ = DeadlineTimer.shared.schedule(after: grace) { race.finish(.failure(ConnectionClosedUnderWork())) }
            }
            defer { ClosedConnections.shared.unwatch(watch) }
            let outcome = await withTaskCancellationHandler {
                await race.wait()
            } onCancel: {
                task.cancel()
            }
            // `wait()` has no timer of its own: only `finish` decides, and never with nil.
            guard let outcome else { throw ConnectionClosedUnderWork() }
            return try outcome.get()
        }
    }

    /// ``withWatchedConnection(grace:_:)`` with the work in a transaction.
    public func withWatchedTransaction<T: Sendable>(
        logger: Logger,
        _ work: sending @escaping (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await self.withWatchedConnection { connection in
            try await connection.withTransaction(logger: logger) { try await work($0) }
        }
    }
}

/// Calls the actions of the work leased on a connection when the connection closes: one callback on
/// each connection's `closeFuture`, however many leases it serves (a callback per lease would stay
/// until the connection closes, a long-lived connection gathering millions).
final class ClosedConnections: Sendable {
    struct Watch: Sendable {
        fileprivate var connection: ObjectIdentifier
        fileprivate var id: Int
    }

    private struct State {
        var actions: [ObjectIdentifier: [Int: @Sendable () -> Void]] = [:]
        var nextID = 0
    }

    static let shared = ClosedConnections()

    private let state = Mutex(State())

    /// Calls `action` when `connection` closes (at once when it has), unless unwatched first.
    func watch(_ connection: PostgresConnection, _ action: @escaping @Sendable () -> Void) -> Watch {
        let key = ObjectIdentifier(connection)
        let (watch, first) = self.state.withLock { state in
            state.nextID += 1
            let first = state.actions[key] == nil
            state.actions[key, default: [:]][state.nextID] = action
            return (Watch(connection: key, id: state.nextID), first)
        }
        if first {
            connection.closeFuture.whenComplete { _ in
                let actions = self.state.withLock { $0.actions.removeValue(forKey: key) } ?? [:]
                for action in actions.values { action() }
            }
        }
        return watch
    }

    func unwatch(_ watch: Watch) {
        self.state.withLock { _ = $0.actions[watch.connection]?.removeValue(forKey: watch.id) }
    }
}
