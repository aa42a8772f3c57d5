import BridgeCore
public import Foundation
import PostgresNIO

/// A connector an operator paused.
public struct ConnectorPause: Sendable, Hashable, Codable {
    public var connector: String
    public var pausedAt: Date
    public var reason: String?
}

/// Messages waiting for one connector.
public struct ConnectorQueue: Sendable, Hashable, Codable {
    public var connector: String
    /// Queued and due.
    public var due: Int
    /// Scheduled for later, or waiting for a retry.
    public var waiting: Int
    /// Seconds the oldest due message has waited (0 when none is due).
    public var oldestAge: TimeInterval
}

extension PostgresStore {
    // MARK: Pausing connectors

    /// Stops every instance from claiming messages for `connector` until ``resumeConnector(_:)``.
    /// Pausing a paused connector keeps its first time and reason.
    public func pauseConnector(_ connector: String, reason: String?) async throws {
        try await self.client.query(
            """
            INSERT INTO connector_pauses (connector, reason) VALUES (\(connector), \(reason))
            ON CONFLICT (connector) DO NOTHING
            """,
            logger: self.logger
        )
    }

    /// Lets instances claim the connector's messages again; returns false when it was not paused.
    @discardableResult
    public func resumeConnector(_ connector: String) async throws -> Bool {
        let rows = try await self.client.query(
            "DELETE FROM connector_pauses WHERE connector = \(connector) RETURNING connector",
            logger: self.logger
        )
        var resumed = false
        for try await _ in rows { resumed = true }
        if resumed { self.signalQueued() }
        return resumed
    }

    public func pausedConnectors() async throws -> [ConnectorPause] {
        let rows = try await self.client.query(
            "SELECT connector, paused_at, reason FROM connector_pauses ORDER BY connector",
            logger: self.logger
        )
        var pauses: [ConnectorPause] = []
        for try await (connector, pausedAt, reason) in rows.decode((String, Date, String?).self) {
            pauses.append(ConnectorPause(connector: connector, pausedAt: pausedAt, reason: reason))
        }
        return pauses
    }

    // MARK: Queue statistics

    /// Waiting messages per connector (only connectors that have some).
    public func queueByConnector() async throws -> [ConnectorQueue] {
        let rows = try await self.client.query(
            """
            SELECT connector,
                count(*) FILTER (WHERE NOT scheduled AND next_attempt_at <= now())::int8,
                count(*) FILTER (WHERE scheduled OR next_attempt_at > now())::int8,
                COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)
                    FILTER (WHERE NOT scheduled AND next_attempt_at <= now())), 0)::float8
            FROM message_queue WHERE lease_owner IS NULL
            GROUP BY connector ORDER BY connector
            """,
            logger: self.logger
        )
        var queues: [ConnectorQueue] = []
        for try await (connector, due, waiting, age) in rows.decode((String, Int64, Int64, Double).self) {
            queues.append(ConnectorQueue(connector: connector, due: Int(due), waiting: Int(waiting), oldestAge: age))
        }
        return queues
    }
}

/// What ``PostgresStore/purge(before:batchSize:dryRun:)`` removed (or would remove).
public struct PurgeResult: Sendable, Hashable {
    /// Finished messages, with their parts and receipts.
    public var messages: Int
    public var inboundMessages: Int
    /// Webhook deliveries that ended (delivered or dead), with their attempts.
    public var webhookDeliveries: Int

    public init(messages: Int = 0, inboundMessages: Int = 0, webhookDeliveries: Int = 0) {
        self.messages = messages
        self.inboundMessages = inboundMessages
        self.webhookDeliveries = webhookDeliveries
    }
}

extension PostgresStore {
    // MARK: Retention

    /// Deletes what is older than `cutoff`: finished messages (delivered, undelivered, expired,
    /// rejected, failed, canceled — never one still waiting or being sent) with their parts and
    /// receipts, inbound messages, and webhook deliveries that ended (delivered or dead; never a
    /// pending one) with their attempts. Works account by account in batches of `batchSize` rows, each
    /// its own short transaction, so the service keeps running meanwhile. `dryRun` only counts.
    public func purge(before cutoff: Date, batchSize: Int = 5_000, dryRun: Bool = false) async throws -> PurgeResult {
        var result = PurgeResult()
        let accounts = try await self.client.query("SELECT id FROM accounts", logger: self.logger)
        var accountIDs: [UUID] = []
        for try await id in accounts.decode(UUID.self) { accountIDs.append(id) }
        for account in accountIDs {
            // messages_account_created serves both the count and the delete.
            result.messages += try await self.purgeBatches(dryRun: dryRun) {
                dryRun
                    ? """
                    SELECT count(*)::int8 FROM messages
                    WHERE account_id = \(account) AND created_at < \(cutoff) AND status = ANY(\(Self.finishedStatuses)::message_status[])
                    """
                    : """
                    WITH doomed AS (
                        SELECT id FROM messages
                        WHERE account_id = \(account) AND created_at < \(cutoff) AND status = ANY(\(Self.finishedStatuses)::message_status[])
                        LIMIT \(Int64(batchSize))
                    )
                    DELETE FROM messages m USING doomed WHERE m.id = doomed.id RETURNING 1
                    """
            }
        }
        result.inboundMessages += try await self.purgeBatches(dryRun: dryRun) {
            dryRun
                ? "SELECT count(*)::int8 FROM inbound_messages WHERE received_at < \(cutoff)"
                : """
                WITH doomed AS (SELECT id FROM inbound_messages WHERE received_at < \(cutoff) LIMIT \(Int64(batchSize)))
                DELETE FROM inbound_messages i USING doomed WHERE i.id = doomed.id RETURNING 1
                """
        }
        // Per account, through webhook_deliveries_account; pending ones are never deleted.
        for account in accountIDs {
            result.webhookDeliveries += try await self.purgeBatches(dryRun: dryRun) {
                dryRun
                    ? """
                    SELECT count(*)::int8 FROM webhook_deliveries
                    WHERE account_id = \(account) AND created_at < \(cutoff) AND status IN ('delivered', 'dead')
                    """
                    : """
                    WITH doomed AS (
                        SELECT id FROM webhook_deliveries
                        WHERE account_id = \(account) AND created_at < \(cutoff) AND status IN ('delivered', 'dead')
                        LIMIT \(Int64(batchSize))
                    )
                    DELETE FROM webhook_deliveries w USING doomed WHERE w.id = doomed.id RETURNING 1
                    """
            }
        }
        return result
    }

    private static let finishedStatuses = ["delivered", "undelivered", "expired", "rejected", "failed", "canceled"]

    /// Runs a `DELETE … RETURNING 1` until it deletes nothing, or a `SELECT count(*)` once.
    private func purgeBatches(dryRun: Bool, _ query: () -> PostgresQuery) async throws -> Int {
        if dryRun {
            let rows = try await self.client.query(query(), logger: self.logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
        var total = 0
        while true {
            let rows = try await self.client.query(query(), logger: self.logger)
            var deleted = 0
            for try await _ in rows { deleted += 1 }
            total += deleted
            if deleted == 0 { return total }
        }
    }
}
