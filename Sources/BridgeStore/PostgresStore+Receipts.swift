import BridgeCore
public import Foundation
import PostgresNIO
import SMPP

extension PostgresStore {
    /// Applies receipts in one transaction: each is matched to its part by (connector, normalised
    /// SMSC id), stored in the message's history, and moves the part — and, once every part is
    /// final, the message — to its final status. A receipt that matches nothing yet is kept
    /// unmatched; ``report(_:owner:)`` matches it when the submit response's id is stored.
    ///
    /// The part is found through `message_parts_smsc_id` and its message by primary key (a
    /// correlated subquery, not a join): with a join, a planner without fresh statistics scans the
    /// whole `messages` table for every receipt.
    public func applyReceipts(_ receipts: [IncomingReceipt]) async throws -> [ReceiptOutcome] {
        guard !receipts.isEmpty else { return [] }
        return try await self.client.withTransaction(logger: self.logger) { connection in
            var outcomes: [ReceiptOutcome] = []
            for receipt in receipts {
                let status = receipt.intermediate ? nil : receipt.state.flatMap(MessageStatus.init(receiptState:))
                let state = status?.rawValue ?? "enroute"
                let networkError = receipt.networkError.map { Int32($0.networkType) << 16 | Int32($0.errorCode) }
                let found = try await connection.query(
                    """
                    SELECT p.message_id, p.part_number FROM message_parts p
                    WHERE p.smsc_id_key = ANY(\(receipt.candidates))
                        AND (SELECT m.connector FROM messages m WHERE m.id = p.message_id) = \(receipt.connector)
                    ORDER BY array_position(\(receipt.candidates), p.smsc_id_key), p.submitted_at DESC
                    LIMIT 1
                    """,
                    logger: self.logger
                )
                var match: (UUID, Int16)?
                for try await row in found.decode((UUID, Int16).self) { match = row }
                try await connection.query(
                    """
                    INSERT INTO receipts (connector, smsc_message_id, id_keys, message_id, part_number, stat, state,
                        intermediate, error_code, network_error, raw, matched_at)
                    VALUES (\(receipt.connector), \(receipt.smscMessageID), \(receipt.candidates), \(match?.0), \(match?.1),
                        \(receipt.stat), \(state), \(receipt.intermediate), \(receipt.errorCode), \(networkError), \(receipt.raw),
                        \(match == nil ? nil : Date()))
                    """,
                    logger: self.logger
                )
                guard let (messageID, part) = match else {
                    outcomes.append(.unmatched)
                    continue
                }
                let messageStatus = try await Self.applyPartStatus(
                    status,
                    messageID: messageID,
                    partNumber: Int(part),
                    networkError: receipt.networkError.map { Int($0.errorCode) }
                        ?? receipt.errorCode.flatMap { Int($0) },
                    description: receipt.stat.map { "\($0) err:\(receipt.errorCode ?? "-")" },
                    on: connection,
                    logger: self.logger
                )
                outcomes.append(.matched(messageID: messageID, partNumber: Int(part), messageStatus: messageStatus))
            }
            return outcomes
        }
    }

    /// Matches receipts kept unmatched in the last `window` seconds whose part has an SMSC id by now.
    ///
    /// A receipt and its submit response can be stored at the same moment by two transactions
    /// that do not see each other (the receipt finds no part, the report finds no receipt); this
    /// sweep, run shortly after, settles them. Rows another sweep holds are skipped.
    public func rematchReceipts(window: TimeInterval = 600, limit: Int = 500) async throws -> [ReceiptOutcome] {
        try await self.client.withTransaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                SELECT r.id, p.message_id, p.part_number, r.state, r.intermediate, r.network_error, r.error_code, r.stat
                FROM receipts r
                JOIN LATERAL (
                    SELECT p.message_id, p.part_number FROM message_parts p
                    WHERE p.smsc_id_key = ANY(r.id_keys)
                        AND (SELECT m.connector FROM messages m WHERE m.id = p.message_id) = r.connector
                    ORDER BY array_position(r.id_keys, p.smsc_id_key), p.submitted_at DESC
                    LIMIT 1
                ) p ON true
                WHERE r.message_id IS NULL AND r.received_at > now() - make_interval(secs => \(window))
                ORDER BY r.received_at, r.id
                LIMIT \(Int64(limit))
                FOR UPDATE OF r SKIP LOCKED
                """,
                logger: self.logger
            )
            return try await Self.matchReceipts(rows, on: connection, logger: self.logger)
        }
    }

    /// Deletes receipts that stayed unmatched longer than `age` seconds. Returns how many.
    @discardableResult
    public func expireUnmatchedReceipts(olderThan age: TimeInterval) async throws -> Int {
        let rows = try await self.client.query(
            "DELETE FROM receipts WHERE message_id IS NULL AND received_at < now() - make_interval(secs => \(age)) RETURNING id",
            logger: self.logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Receipts not matched to a message (for inspection), newest first.
    public func unmatchedReceipts(
        limit: Int = 100
    ) async throws -> [(connector: String, smscMessageID: String, stat: String?, receivedAt: Date)] {
        let rows = try await self.client.query(
            """
            SELECT connector, smsc_message_id, stat, received_at FROM receipts
            WHERE message_id IS NULL ORDER BY received_at DESC LIMIT \(Int64(limit))
            """,
            logger: self.logger
        )
        var result: [(String, String, String?, Date)] = []
        for try await row in rows.decode((String, String, String?, Date).self) { result.append(row) }
        return result
    }
}
