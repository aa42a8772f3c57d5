import BridgeCore
import Synchronization

/// Group commit for inserts: requests that arrive while a transaction is being written wait and go
/// into the next one together, so a hundred concurrent sends cost one statement (one round trip
/// and one WAL flush) instead of a hundred.
///
/// Each caller still returns only after the transaction holding its messages committed, and gets
/// its error when it failed. A caller canceled while still waiting is taken out (nothing of it is
/// written); one already in a transaction waits for its end, so a cancellation never hides a commit.
/// A transaction still waiting for a connection when the shortest timeout of its callers passes is
/// given up (``withDatabaseDeadline(_:_:)``: nothing was written) and each of them gets
/// ``DatabaseDeadlineExceeded``.
final class InsertCombiner: Sendable {
    private final class Waiter: Sendable {
        let messages: [AcceptedMessage]
        let timeout: Duration?
        let continuation: CheckedContinuation<Void, any Error>

        init(messages: [AcceptedMessage], timeout: Duration?, continuation: CheckedContinuation<Void, any Error>) {
            self.messages = messages
            self.timeout = timeout
            self.continuation = continuation
        }
    }

    private struct State {
        var waiting: [(id: Int, waiter: Waiter)] = []
        var nextID = 0
        var writing = false
    }

    /// Messages per transaction at most (a request's messages are never split).
    let maximumMessages: Int
    private let state = Mutex(State())

    init(maximumMessages: Int = 2_000) {
        self.maximumMessages = maximumMessages
    }

    /// Inserts `messages` with whatever else waits, through `write`, which inserts a list of
    /// messages in one transaction; within `timeout` if one is given.
    func insert(
        _ messages: [AcceptedMessage],
        timeout: Duration? = nil,
        write: @escaping @Sendable ([AcceptedMessage]) async throws -> Void
    ) async throws {
        let id = self.state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let lead = self.state.withLock { state in
                    state.waiting.append((id, Waiter(messages: messages, timeout: timeout, continuation: continuation)))
                    if state.writing { return false }
                    state.writing = true
                    return true
                }
                if lead { Task { await self.writeAll(write) } }
            }
        } onCancel: {
            let removed = self.state.withLock { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).waiter
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Writes what waits, transaction after transaction, until nothing does.
    private func writeAll(_ write: @escaping @Sendable ([AcceptedMessage]) async throws -> Void) async {
        while true {
            let batch: [Waiter] = self.state.withLock { state in
                var taken: [Waiter] = []
                var count = 0
                while let first = state.waiting.first,
                    taken.isEmpty || count + first.waiter.messages.count <= self.maximumMessages
                {
                    state.waiting.removeFirst()
                    taken.append(first.waiter)
                    count += first.waiter.messages.count
                }
                if taken.isEmpty { state.writing = false }
                return taken
            }
            if batch.isEmpty { return }
            let messages = batch.flatMap(\.messages)
            do {
                if let timeout = batch.compactMap(\.timeout).min() {
                    try await withDatabaseDeadline(timeout) { try await write(messages) }
                } else {
                    try await write(messages)
                }
                for waiter in batch { waiter.continuation.resume() }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
