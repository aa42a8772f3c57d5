public import BridgeCore
public import BridgeStore
public import Foundation
public import Logging
public import ServiceLifecycle

/// Periodic housekeeping: this instance's heartbeat; requeueing messages whose lease ran out or
/// whose instance died; matching receipts that came before their submit response was stored;
/// delivering inbound messages whose parts waited too long; forgetting receipts that stayed
/// unmatched, old de-duplication keys and idempotency records.
public final class Maintenance: Service, Sendable {
    public struct Configuration: Sendable {
        /// Default 5 s.
        public var heartbeatInterval: Duration = .seconds(5)
        /// An instance silent this long is dead: its messages go back to the queue. Default 30 s.
        public var deadAfter: TimeInterval = 30
        /// Parts of an inbound message wait this long for the others. Default 300 s.
        public var reassemblyTimeout: TimeInterval = 300
        /// Unmatched receipts are kept this long. Default 3 days.
        public var unmatchedReceiptLifetime: TimeInterval = 3 * 86_400
        /// De-duplication keys of inbound PDUs are kept this long. Default 600 s.
        public var dedupeWindow: TimeInterval = 600
        /// Longest a round may take; a round still waiting for the database then is abandoned
        /// (PostgresNIO queues a call for as long as it cannot connect, and can miss the
        /// cancellation of a call being queued). Default 60 s.
        public var roundTimeout: Duration = .seconds(60)
        /// How often the busiest tables are checked for growth that calls for fresh planner
        /// statistics (``PostgresStore/refreshStatistics()``: one small catalog query). Default
        /// 0.25 s.
        public var statisticsInterval: Duration = .milliseconds(250)

        public init() {}
    }

    let store: PostgresStore
    let instanceID: UUID
    let router: InboundRouter<UUID>
    let configuration: Configuration
    /// This instance's open SMPP connections, published with each heartbeat (see
    /// ``PostgresStore/heartbeat(instance:connections:)``).
    let openConnections: @Sendable () -> [UInt64]
    let logger: Logger
    private let metrics = ServiceMetrics()

    public init(
        store: PostgresStore,
        instanceID: UUID,
        router: InboundRouter<UUID>,
        configuration: Configuration = Configuration(),
        openConnections: @escaping @Sendable () -> [UInt64] = { [] },
        logger: Logger
    ) {
        self.store = store
        self.instanceID = instanceID
        self.router = router
        self.configuration = configuration
        self.openConnections = openConnections
        self.logger = logger
    }

    /// Runs rounds until shutdown. A round is idempotent, so graceful shutdown cancels the one in
    /// progress (with a database that is away it would wait for a connection for as long as that
    /// lasts) and the sleep between rounds.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.statisticsLoop() }
                await self.rounds()
                group.cancelAll()
            }
        }
    }

    /// Keeps the planner statistics of young, fast-growing tables current; checked often because
    /// a table can grow a hundredfold in the minute before autovacuum first looks at it.
    private func statisticsLoop() async {
        while !Task.isCancelled {
            do {
                let analyzed = try await withDatabaseDeadline(self.configuration.roundTimeout) {
                    try await self.store.refreshStatistics()
                }
                if !analyzed.isEmpty {
                    self.logger.debug("statistics refreshed", metadata: ["tables": "\(analyzed.joined(separator: ", "))"])
                }
            } catch is CancellationError {
                return
            } catch {
                self.logger.debug("refreshing statistics failed", metadata: ["error": .databaseError(error)])
            }
            try? await Task.sleep(for: self.configuration.statisticsInterval)
        }
    }

    /// Maintenance rounds, every `heartbeatInterval`.
    private func rounds() async {
        var tick = 0
        while !Task.isCancelled {
            let full = tick % 12 == 0
            do {
                try await withDatabaseDeadline(self.configuration.roundTimeout) { await self.runOnce(full: full) }
            } catch is CancellationError {
                break
            } catch {
                self.logger.warning("maintenance round failed", metadata: ["error": .databaseError(error)])
            }
            tick += 1
            try? await Task.sleep(for: self.configuration.heartbeatInterval)
        }
    }

    /// One round; the slower clean-ups only when `full`.
    public func runOnce(full: Bool) async {
        do {
            try await self.store.heartbeat(instance: self.instanceID, connections: self.openConnections)
            let recovered = try await self.store.recoverLeases(deadAfter: self.configuration.deadAfter)
            if recovered > 0 {
                self.logger.notice(
                    "requeued messages of a dead instance or expired lease",
                    metadata: ["count": "\(recovered)"]
                )
            }
            let router = self.router
            let flushed = try await self.store.flushIncompleteInbound(olderThan: self.configuration.reassemblyTimeout) {
                router.account(for: $0)
            }
            if !flushed.isEmpty {
                self.logger.notice(
                    "delivered incomplete inbound messages after the reassembly timeout",
                    metadata: ["count": "\(flushed.count)"]
                )
            }
            if full {
                // Waiting messages whose validity ran out, which no dispatcher claims (a paused
                // connector's): expired now rather than when claimed.
                let expired = try await self.store.expireOverdueMessages()
                if expired > 0 {
                    self.logger.info("expired waiting messages whose validity ran out", metadata: ["count": "\(expired)"])
                }
                // Receipts kept unmatched because they raced their submit response, whichever
                // instance stored them (InboundProcessor retries its own at once, for a minute).
                let matched = try await self.store.rematchReceipts(window: self.configuration.dedupeWindow)
                self.metrics.recordLateMatches(matched)
                if !matched.isEmpty {
                    self.logger.debug("receipts matched late", metadata: ["count": "\(matched.count)"])
                }
                try await self.store.expireUnmatchedReceipts(olderThan: self.configuration.unmatchedReceiptLifetime)
                try await self.store.purgeInboundDedupe(olderThan: self.configuration.dedupeWindow)
                try await self.store.purgeIdempotencyKeys(olderThan: 86_400)
            }
        } catch where isCancellation(error) {
            // Shutting down: the round was cut short, nothing failed.
            self.logger.debug("maintenance round canceled", metadata: ["error": .databaseError(error)])
        } catch {
            self.logger.warning("maintenance round failed", metadata: ["error": .databaseError(error)])
        }
    }
}
