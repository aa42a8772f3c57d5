import BridgeStore
import Synchronization

/// The SMSC ids of parts this instance submitted whose report is not committed yet, so that a
/// receipt for one of them waits for that report instead of being stored unmatched.
///
/// The dispatcher records submit responses in batches, a little after they come; an SMSC that
/// answers with a receipt at once can be quicker. Such a receipt finds no part, is kept unmatched
/// with its candidate ids, and the report matches it — about twice the database work of a receipt
/// that finds its part, and under load the reports then fall further behind, so that more receipts
/// overtake them. Held in memory instead (not yet acknowledged to the SMSC, so nothing is lost if
/// the instance dies), it is applied right after the report, matched at once. Never longer than
/// `maximumWait`: then it goes the unmatched way.
public final class UnrecordedSubmissions: Sendable {
    struct Key: Hashable, Sendable {
        var connector: String
        var smscID: String
    }

    /// Why a held receipt goes on.
    enum Release: String, CaseIterable, Sendable {
        /// Its report was recorded: it finds its part.
        case recorded
        /// It waited ``UnrecordedSubmissions/maximumWait``: it goes the unmatched way.
        case overdue
        /// The service stops.
        case shutdown
    }

    private struct Waiter {
        var key: Key
        var deadline: ContinuousClock.Instant
        var release: @Sendable (Release) -> Void
    }

    private struct State {
        /// How many unrecorded parts have each id (normally one).
        var pending: [Key: Int] = [:]
        var waiters: [Int: Waiter] = [:]
        var waitersByKey: [Key: [Int]] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    /// Longest a receipt is held. Default 2 s.
    public let maximumWait: Duration

    public init(maximumWait: Duration = .seconds(2)) {
        self.maximumWait = maximumWait
    }

    /// Notes the SMSC ids of a report about to be queued for recording.
    func submitted(_ report: SubmissionReport) {
        guard !report.submitted.isEmpty else { return }
        self.state.withLock { state in
            for part in report.submitted {
                state.pending[Key(connector: report.connector, smscID: part.key), default: 0] += 1
            }
        }
    }

    /// The reports were recorded (or given up on): receipts held for their ids go on.
    func recorded(_ reports: [SubmissionReport]) {
        let released: [@Sendable (Release) -> Void] = self.state.withLock { state in
            var released: [@Sendable (Release) -> Void] = []
            for report in reports {
                for part in report.submitted {
                    let key = Key(connector: report.connector, smscID: part.key)
                    guard let count = state.pending[key] else { continue }
                    if count > 1 {
                        state.pending[key] = count - 1
                        continue
                    }
                    state.pending[key] = nil
                    for id in state.waitersByKey.removeValue(forKey: key) ?? [] {
                        if let waiter = state.waiters.removeValue(forKey: id) { released.append(waiter.release) }
                    }
                }
            }
            return released
        }
        for release in released { release(.recorded) }
    }

    /// Holds a receipt whose candidate ids include one not recorded yet: `release` runs once that
    /// report is recorded, or at the latest after ``maximumWait`` (see ``releaseOverdue(now:)``).
    /// Returns false, without calling `release`, when no candidate is waiting for its report.
    func hold(
        connector: String,
        candidates: [String],
        now: ContinuousClock.Instant = .now,
        release: @escaping @Sendable (Release) -> Void
    ) -> Bool {
        self.state.withLock { state in
            guard !state.pending.isEmpty,
                let key = candidates.lazy.map({ Key(connector: connector, smscID: $0) }).first(where: {
                    state.pending[$0] != nil
                })
            else { return false }
            state.nextID += 1
            state.waiters[state.nextID] = Waiter(key: key, deadline: now + self.maximumWait, release: release)
            state.waitersByKey[key, default: []].append(state.nextID)
            return true
        }
    }

    /// Lets go of receipts held longer than ``maximumWait``; with `now: nil` (shutdown), of every
    /// receipt held.
    func releaseOverdue(now: ContinuousClock.Instant? = .now) {
        let released: [@Sendable (Release) -> Void] = self.state.withLock { state in
            let overdue = state.waiters.filter { now == nil || $0.value.deadline <= now! }
            for (id, waiter) in overdue {
                state.waiters[id] = nil
                state.waitersByKey[waiter.key]?.removeAll { $0 == id }
                if state.waitersByKey[waiter.key]?.isEmpty == true { state.waitersByKey[waiter.key] = nil }
            }
            return overdue.values.map(\.release)
        }
        for release in released { release(now == nil ? .shutdown : .overdue) }
    }

    /// Receipts held now.
    var heldCount: Int { self.state.withLock { $0.waiters.count } }
}
