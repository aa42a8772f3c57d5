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
        if resumed {
            try await self.client.query("SELECT pg_notify(\(Self.queuedChannel), '')", logger: self.logger)
        }
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
                count(*) FILTER (WHERE status = 'queued' AND next_attempt_at <= now())::int8,
                count(*) FILTER (WHERE status = 'scheduled' OR next_attempt_at > now())::int8,
                COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)
                    FILTER (WHERE status = 'queued' AND next_attempt_at <= now())), 0)::float8
            FROM messages WHERE status IN ('queued', 'scheduled')
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
