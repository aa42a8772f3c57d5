import NIOCore
import NIOPosix
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
    let deadline = Race<T>()
    let call = Task {
        let result: Result<T, any Error>
        do { result = .success(try await operation()) } catch { result = .failure(error) }
        deadline.finish(result)
        return try result.get()
    }
    // The caller's own cancellation (e.g. at shutdown) ends the wait as the deadline does.
    let outcome = await withTaskCancellationHandler {
        await deadline.wait(orAfter: timeout)
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
        let graced = Race<T>()
        Task { graced.finish(await call.result) }
        if case .success(let value) = await graced.wait(orAfter: grace) { return value }
        if Task.isCancelled { throw CancellationError() }
        throw DatabaseDeadlineExceeded(timeout: timeout)
    }
}

/// Resumes one waiter once, with the first result, or nil when its delay passes (or ``finish(_:)``
/// is called with nil) first.
final class Race<T: Sendable>: Sendable {
    typealias Value = Result<T, any Error>?

    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        /// Set once decided (a box: `Value` is itself optional).
        var result: [Value] = []
        var timer: DeadlineTimer.Entry?
    }

    private let state = Mutex(State())

    /// The first value given to ``finish(_:)``, or nil when `delay` passes first.
    func wait(orAfter delay: Duration) async -> Value {
        await self.wait { self.armTimer(after: delay) }
    }

    /// The first value given to ``finish(_:)``.
    func wait() async -> Value {
        await self.wait {}
    }

    private func wait(then start: () -> Void) async -> Value {
        await withCheckedContinuation { continuation in
            let decided = self.state.withLock { state -> [Value] in
                if state.result.isEmpty { state.continuation = continuation }
                return state.result
            }
            if let value = decided.first {
                continuation.resume(returning: value)
                return
            }
            start()
        }
    }

    private func armTimer(after delay: Duration) {
        let timer = DeadlineTimer.shared.schedule(after: delay) { self.finish(nil) }
        let late = self.state.withLock { state -> Bool in
            if state.result.isEmpty { state.timer = timer }
            return !state.result.isEmpty
        }
        if late { DeadlineTimer.shared.cancel(timer) }
    }

    /// Decides the race (the first call only).
    func finish(_ value: Value) {
        let (continuation, timer) = self.state.withLock {
            state -> (CheckedContinuation<Value, Never>?, DeadlineTimer.Entry?) in
            guard state.result.isEmpty else { return (nil, nil) }
            state.result = [value]
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        continuation?.resume(returning: value)
        if let timer { DeadlineTimer.shared.cancel(timer) }
    }
}

/// One timer for every database deadline of the process.
///
/// A deadline almost never passes, and every database call has one: as a task of its own sleeping
/// on a timer, each cost two more tasks (scheduling, a thread wake-up, a kernel timer) per call.
/// Here a deadline is an entry in a table; one event-loop timer is armed for the earliest, and moved
/// only when an earlier one comes. Entries of calls that ended are dropped at once; the timer, when
/// it fires for one of them, finds nothing due and re-arms for the earliest left.
final class DeadlineTimer: Sendable {
    struct Entry: Sendable, Hashable {
        fileprivate var id: Int
    }

    private struct State {
        var entries: [Int: (deadline: NIODeadline, action: @Sendable () -> Void)] = [:]
        var nextID = 0
        var armed: (deadline: NIODeadline, task: Scheduled<Void>)?
    }

    static let shared = DeadlineTimer(eventLoop: MultiThreadedEventLoopGroup.singleton.next())

    private let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Calls `action` once `delay` has passed, unless the entry is cancelled first.
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Entry {
        let deadline = NIODeadline.now() + TimeAmount(delay)
        return self.state.withLock { state in
            state.nextID += 1
            state.entries[state.nextID] = (deadline, action)
            if state.armed.map({ deadline < $0.deadline }) ?? true { self.arm(deadline, &state) }
            return Entry(id: state.nextID)
        }
    }

    /// Forgets an entry (its action is not called); nothing happens when it was called already.
    func cancel(_ entry: Entry) {
        _ = self.state.withLock { $0.entries.removeValue(forKey: entry.id) }
    }

    private func arm(_ deadline: NIODeadline, _ state: inout State) {
        state.armed?.task.cancel()
        state.armed = (deadline, self.eventLoop.scheduleTask(deadline: deadline) { self.fire() })
    }

    private func fire() {
        let now = NIODeadline.now()
        let due = self.state.withLock { state -> [@Sendable () -> Void] in
            state.armed = nil
            let due = state.entries.filter { $0.value.deadline <= now }
            for id in due.keys { state.entries.removeValue(forKey: id) }
            if let earliest = state.entries.values.lazy.map(\.deadline).min() { self.arm(earliest, &state) }
            return due.values.map(\.action)
        }
        for action in due { action() }
    }
}
