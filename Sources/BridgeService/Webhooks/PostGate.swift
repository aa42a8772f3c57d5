import DequeModule
import Synchronization

/// At most `limit` posts at once to each destination; the others wait their turn in order.
final class PostGate: Sendable {
    private struct Destination {
        var active = 0
        var waiting = Deque<CheckedContinuation<Void, Never>>()
    }

    private let limit: Int
    private let destinations = Mutex<[String: Destination]>([:])

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Returns once a slot for `destination` is free; pair it with ``leave(_:)``.
    func enter(_ destination: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = self.destinations.withLock { destinations in
                var state = destinations[destination, default: Destination()]
                defer { destinations[destination] = state }
                guard state.active < self.limit else {
                    state.waiting.append(continuation)
                    return false
                }
                state.active += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Frees a slot: the next waiter, if any, takes it.
    func leave(_ destination: String) {
        let next: CheckedContinuation<Void, Never>? = self.destinations.withLock { destinations in
            guard var state = destinations[destination] else { return nil }
            if let waiter = state.waiting.popFirst() {
                destinations[destination] = state
                return waiter
            }
            state.active -= 1
            destinations[destination] = state.active > 0 ? state : nil
            return nil
        }
        next?.resume()
    }

    /// Posts running to `destination` (for tests).
    func active(_ destination: String) -> Int {
        self.destinations.withLock { $0[destination]?.active ?? 0 }
    }

    /// Posts waiting for a slot of `destination` (for tests).
    func waiting(_ destination: String) -> Int {
        self.destinations.withLock { $0[destination]?.waiting.count ?? 0 }
    }
}
