import Synchronization

/// Wakes the dispatchers (of this instance and the others, through `LISTEN`) when messages were
/// queued: a `NOTIFY`, sent after the commit and at most once per interval.
///
/// `NOTIFY` inside the inserting transaction would be simpler, but PostgreSQL serialises the commits
/// of every transaction that notified (one global lock, held through the commit's WAL flush): with
/// one per request, accepted messages per second were capped by the disk's flushes, one at a time.
/// Sent apart, the inserts commit together (group commit) and a burst of requests costs one
/// `NOTIFY` now and one at the end of the interval, so that the last of them is not left waiting for
/// the dispatchers' polling.
final class QueueSignal: Sendable {
    private struct State {
        var lastSent: ContinuousClock.Instant?
        var trailingScheduled = false
    }

    private let interval: Duration
    private let state = Mutex(State())

    init(interval: Duration = .milliseconds(20)) {
        self.interval = interval
    }

    /// Calls `send` now, or once at the end of the current interval when one was sent within it.
    func signal(_ send: @escaping @Sendable () async -> Void) {
        let now = ContinuousClock.now
        let delay: Duration? = self.state.withLock { state in
            if state.trailingScheduled { return nil }
            if let last = state.lastSent, now - last < self.interval {
                state.trailingScheduled = true
                return self.interval - (now - last)
            }
            state.lastSent = now
            return .zero
        }
        guard let delay else { return }
        Task {
            if delay > .zero {
                try? await Task.sleep(for: delay)
                self.state.withLock {
                    $0.trailingScheduled = false
                    $0.lastSent = .now
                }
            }
            await send()
        }
    }
}
