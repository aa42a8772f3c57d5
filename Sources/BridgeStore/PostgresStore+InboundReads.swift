public import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// An account's received messages, newest first, after `cursor` (whose `createdAt` is the
    /// `receivedAt` of the last row seen). Messages no account was routed to are never listed.
    public func inboundMessages(accountID: UUID, limit: Int, after cursor: ListCursor?) async throws -> [InboundRecord]
    {
        let limit = max(1, min(limit, 1000))
        let rows: PostgresRowSequence
        if let cursor {
            rows = try await self.client.query(
                """
                SELECT \(unescaped: Self.inboundColumns) FROM inbound_messages
                WHERE account_id = \(accountID) AND (received_at, id) < (\(cursor.createdAt), \(cursor.id))
                ORDER BY received_at DESC, id DESC LIMIT \(limit)
                """,
                logger: self.logger
            )
        } else {
            rows = try await self.client.query(
                """
                SELECT \(unescaped: Self.inboundColumns) FROM inbound_messages
                WHERE account_id = \(accountID)
                ORDER BY received_at DESC, id DESC LIMIT \(limit)
                """,
                logger: self.logger
            )
        }
        var records: [InboundRecord] = []
        for try await row in rows { records.append(try Self.inbound(from: row)) }
        return records
    }

    /// One received message of an account; `nil` when it does not exist or belongs to another
    /// account (or to none).
    public func inboundMessage(id: UUID, accountID: UUID) async throws -> InboundRecord? {
        let rows = try await self.client.query(
            "SELECT \(unescaped: Self.inboundColumns) FROM inbound_messages WHERE id = \(id) AND account_id = \(accountID)",
            logger: self.logger
        )
        for try await row in rows { return try Self.inbound(from: row) }
        return nil
    }

    // MARK: Rows

    static let inboundColumns = """
        id, account_id, connector, source, destination, text, binary_body, data_coding, part_count, complete, received_at
        """

    static func inbound(from row: PostgresRow) throws -> InboundRecord {
        let row = row.makeRandomAccess()
        return InboundRecord(
            id: try row["id"].decode(UUID.self),
            accountID: try row["account_id"].decode(UUID?.self),
            connector: try row["connector"].decode(String.self),
            from: try row["source"].decode(String.self),
            to: try row["destination"].decode(String.self),
            text: try row["text"].decode(String?.self),
            binaryBody: try row["binary_body"].decode(ByteBuffer?.self).map { Array($0.readableBytesView) },
            dataCoding: Int(try row["data_coding"].decode(Int16.self)),
            partCount: Int(try row["part_count"].decode(Int16.self)),
            complete: try row["complete"].decode(Bool.self),
            receivedAt: try row["received_at"].decode(Date.self)
        )
    }
}
