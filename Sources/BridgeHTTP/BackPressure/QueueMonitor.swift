import BridgeStore
import Logging
import Synchronization

/// The depth and age of the send queue, read from the database at most once per interval and shared
/// by all requests: new messages are refused with `503` while the queue is deeper or older than its
/// bounds (the SMSCs do not keep up, or the dispatchers are down).
final class QueueMonitor<Messages: MessageRepository>: Sendable {
    private struct State {
        var statistics: QueueStatistics?
        var fetchedAt: ContinuousClock.Instant?
        var refreshing = false
    }

    let messages: Messages
    let interval: Duration
    let maximumDepth: Int?
    let maximumAge: Duration?
    /// Seconds for `Retry-After`.
    let retryAfter: Int
    private let state = Mutex(State())

    init(messages: Messages, interval: Duration, maximumDepth: Int?, maximumAge: Duration?, retryAfter: Int) {
        self.messages = messages
        self.interval = interval
        self.maximumDepth = maximumDepth
        self.maximumAge = maximumAge
        self.retryAfter = retryAfter
    }

    /// Throws a `503` problem when the queue is past a bound.
    func check(database: DatabaseGate, logger: Logger) async throws {
        guard self.maximumDepth != nil || self.maximumAge != nil else { return }
        let statistics = try await self.statistics(database: database, logger: logger)
        if let maximum = self.maximumDepth, statistics.depth > maximum {
            logger.debug("queue full", metadata: ["queue.depth": "\(statistics.depth)"])
            throw APIProblem(
                .queueFull,
                detail: "\(statistics.depth) messages are waiting to be sent, more than \(maximum); try again later",
                retryAfter: self.retryAfter
            )
        }
        if let maximum = self.maximumAge, statistics.oldestAge > maximum / .seconds(1) {
            logger.debug("queue too old", metadata: ["queue.oldest_age": "\(statistics.oldestAge)"])
            throw APIProblem(
                .queueFull,
                detail:
                    "the oldest waiting message has waited \(Int(statistics.oldestAge)) s, more than \(maximum); try again later",
                retryAfter: self.retryAfter
            )
        }
    }

    /// The cached statistics, refreshed when older than the interval. While one request refreshes
    /// them, the others use the previous value.
    func statistics(database: DatabaseGate, logger: Logger) async throws -> QueueStatistics {
        let now = ContinuousClock.now
        let cached: QueueStatistics? = self.state.withLock { state in
            if let statistics = state.statistics {
                if let fetchedAt = state.fetchedAt, now - fetchedAt < self.interval { return statistics }
                if state.refreshing { return statistics }
            }
            state.refreshing = true
            return nil
        }
        if let cached { return cached }
        do {
            let messages = self.messages
            let statistics = try await database.run(logger) { try await messages.queueStatistics() }
            self.state.withLock { state in
                state.statistics = statistics
                state.fetchedAt = ContinuousClock.now
                state.refreshing = false
            }
            return statistics
        } catch {
            self.state.withLock { $0.refreshing = false }
            throw error
        }
    }
}
