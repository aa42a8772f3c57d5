import DequeModule
import Foundation
import Synchronization

/// At most `limit` posts at once to each destination, shared fairly among the accounts posting
/// there.
///
/// A post takes a free slot at once. When every slot is taken, it waits; a slot that frees goes to
/// the waiting account that holds the fewest of the destination's slots (round-robin among equals,
/// the least recently served first), and within an account to its longest waiter. An account alone
/// on a destination uses every slot; once others wait, each freed slot goes to them until it holds
/// no more than they do — at most `ceil(limit / accounts)` while all of them have posts waiting. A
/// shared host (a relay, an API gateway, an automation service) thus serves an account whose own
/// endpoint answers at once within one post's time, however slow another account's endpoint is:
/// first come, an account with a slow endpoint held every slot until its queue ran dry.
final class PostGate: Sendable {
    private struct Destination {
        /// Slots taken, per account.
        var active: [UUID: Int] = [:]
        var total = 0
        /// Posts waiting, per account, longest waiting first. Never empty for an account listed.
        var waiting: [UUID: Deque<CheckedContinuation<Void, Never>>] = [:]
        /// When each account last got a freed slot (a count of turns): the tie-break.
        var served: [UUID: UInt64] = [:]
        var turns: UInt64 = 0

        var isIdle: Bool { self.total == 0 && self.waiting.isEmpty }

        /// Gives a freed slot to the next waiter, if any: the waiting account holding the fewest
        /// slots, then the one served least recently.
        mutating func admitNext() -> CheckedContinuation<Void, Never>? {
            let next = self.waiting.keys.min { a, b in
                let (activeA, activeB) = (self.active[a, default: 0], self.active[b, default: 0])
                if activeA != activeB { return activeA < activeB }
                return self.served[a, default: 0] < self.served[b, default: 0]
            }
            guard let account = next, let waiter = self.waiting[account]?.popFirst() else { return nil }
            if self.waiting[account]?.isEmpty == true { self.waiting[account] = nil }
            self.active[account, default: 0] += 1
            self.total += 1
            self.turns += 1
            self.served[account] = self.turns
            return waiter
        }
    }

    private let limit: Int
    private let destinations = Mutex<[String: Destination]>([:])

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Returns once `account` has a slot of `destination`; pair it with ``leave(_:account:)``.
    func enter(_ destination: String, account: UUID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = self.destinations.withLock { destinations in
                var state = destinations[destination, default: Destination()]
                defer { destinations[destination] = state }
                // Posts wait only while every slot is taken: a free slot is taken at once.
                guard state.total < self.limit else {
                    state.waiting[account, default: []].append(continuation)
                    return false
                }
                state.active[account, default: 0] += 1
                state.total += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Frees `account`'s slot of `destination`: the next waiter, if any, takes it.
    func leave(_ destination: String, account: UUID) {
        let next: CheckedContinuation<Void, Never>? = self.destinations.withLock { destinations in
            guard var state = destinations[destination] else { return nil }
            let remaining = state.active[account, default: 1] - 1
            state.active[account] = remaining > 0 ? remaining : nil
            state.total -= 1
            if remaining <= 0 && state.waiting[account] == nil { state.served[account] = nil }
            let next = state.admitNext()
            destinations[destination] = state.isIdle ? nil : state
            return next
        }
        next?.resume()
    }

    /// Posts running to `destination` (for tests), of one account if given.
    func active(_ destination: String, account: UUID? = nil) -> Int {
        self.destinations.withLock { destinations in
            guard let state = destinations[destination] else { return 0 }
            return account.map { state.active[$0, default: 0] } ?? state.total
        }
    }

    /// Posts waiting for a slot of `destination` (for tests), of one account if given.
    func waiting(_ destination: String, account: UUID? = nil) -> Int {
        self.destinations.withLock { destinations in
            guard let state = destinations[destination] else { return 0 }
            if let account { return state.waiting[account]?.count ?? 0 }
            return state.waiting.values.reduce(0) { $0 + $1.count }
        }
    }
}
