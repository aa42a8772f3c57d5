import BridgeStore
import Logging
import Synchronization

/// The depth and age of the send queue per connector, read from the database at most once per
/// interval and shared by all requests: new messages for a connector are refused with `503` while
/// its queue is deeper or older than the bounds (its SMSC is away or does not keep up, or the
/// dispatchers are down). Messages for other connectors still go.
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

    /// A `503` problem for each of `connectors` whose queue is past a bound (none without bounds).
    func overloaded(
        _ connectors: Set<String>,
        database: DatabaseGate,
        logger: Logger
    ) async throws -> [String: APIProblem] {
        guard self.maximumDepth != nil || self.maximumAge != nil else { return [:] }
        let statistics = try await self.statistics(database: database, logger: logger)
        var problems: [String: APIProblem] = [:]
        for connector in connectors {
            if let load = statistics.connectors[connector], let problem = self.problem(connector, load, logger: logger) {
                problems[connector] = problem
            }
        }
        return problems
    }

    private func problem(_ connector: String, _ load: QueueStatistics.Load, logger: Logger) -> APIProblem? {
        if let maximum = self.maximumDepth, load.depth > maximum {
            logger.debug("queue full", metadata: ["smpp.connector": "\(connector)", "queue.depth": "\(load.depth)"])
            return APIProblem(
                .queueFull,
                detail:
                    "\(load.depth) messages wait to be sent through connector \(connector), more than \(maximum); try again later",
                retryAfter: self.retryAfter
            )
        }
        if let maximum = self.maximumAge, load.oldestAge > maximum / .seconds(1) {
            logger.debug(
                "queue too old",
                metadata: ["smpp.connector": "\(connector)", "queue.oldest_age": "\(load.oldestAge)"]
            )
            return APIProblem(
                .queueFull,
                detail:
                    "the oldest message waiting for connector \(connector) has waited \(Int(load.oldestAge)) s, more than \(maximum); try again later",
                retryAfter: self.retryAfter
            )
        }
        return nil
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
