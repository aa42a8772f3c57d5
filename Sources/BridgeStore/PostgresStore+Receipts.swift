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
    /// Set-based: a batch costs the same handful of statements whatever its size. Each candidate id
    /// looks up its part through `message_parts_smsc_id` and the part's message by primary key (a
    /// lateral subquery and a correlated one, not joins: with joins, a planner whose statistics
    /// still describe a small table hashes all parts and looks up every part's message — a cost that
    /// grows with the table, measured at 20 ms per batch of 20 receipts after 20 000 messages). The messages are
    /// locked in id order before their parts change (`FOR NO KEY UPDATE`, which does not wait for
    /// the receipts' foreign-key locks): two transactions finishing the last parts of one message
    /// then see each other's work, and two batches cannot deadlock over the same messages.
    public func applyReceipts(_ receipts: [IncomingReceipt]) async throws -> [ReceiptOutcome] {
        guard !receipts.isEmpty else { return [] }
        var candidateReceipt: [Int32] = []
        var candidatePosition: [Int32] = []
        var candidateKeys: [String] = []
        var candidateConnectors: [String] = []
        for (index, receipt) in receipts.enumerated() {
            for (position, key) in receipt.candidates.enumerated() {
                candidateReceipt.append(Int32(index))
                candidatePosition.append(Int32(position))
                candidateKeys.append(key)
                candidateConnectors.append(receipt.connector)
            }
        }
        let statuses = receipts.map(\.finalStatus)
        return try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            // 1. Which part each receipt belongs to (the most likely id form first, the newest part),
            //    and every receipt into the history; an unmatched one's id keys into
            //    `unmatched_receipt_keys`, where its submit response will find it.
            var matches: [Int: (message: UUID, part: Int16)] = [:]
            var positions: [Int: Int] = [:]
            let rows = try await connection.execute(
                RecordReceipts(
                    candidates: .init(
                        receipts: candidateReceipt,
                        positions: candidatePosition,
                        keys: candidateKeys,
                        connectors: candidateConnectors
                    ),
                    receipts: receipts,
                    statuses: statuses
                ),
                logger: self.logger
            )
            for try await (receipt, message, part, position) in rows {
                matches[Int(receipt)] = (message, part)
                positions[Int(receipt)] = Int(position)
            }

            // 2. Final receipts settle their parts, and maybe their messages.
            let settling = receipts.indices.filter { matches[$0] != nil && statuses[$0] != nil }
            let changed = try await Self.settleParts(
                settling.map { index in
                    let receipt = receipts[index]
                    return PartSettlement(
                        messageID: matches[index]!.message,
                        partNumber: matches[index]!.part,
                        status: statuses[index]!,
                        errorCode: receipt.networkError.map { Int($0.errorCode) }
                            ?? receipt.errorCode.flatMap { Int($0) },
                        description: receipt.stat.map { "\($0) err:\(receipt.errorCode ?? "-")" }
                    )
                },
                on: connection,
                logger: self.logger
            )
            let finishedBy = Dictionary(uniqueKeysWithValues: zip(settling, changed))
            return receipts.indices.map { index in
                guard let match = matches[index] else { return .unmatched }
                return .matched(
                    messageID: match.message,
                    partNumber: Int(match.part),
                    messageStatus: finishedBy[index] ?? nil,
                    candidate: positions[index] ?? 0
                )
            }
        }
    }

    /// Matches receipts kept unmatched in the last `window` seconds whose part has an SMSC id by now.
    ///
    /// A receipt and its submit response can be stored at the same moment by two transactions
    /// that do not see each other (the receipt finds no part, the report finds no receipt); this
    /// sweep, run shortly after, settles them. Rows another sweep holds are skipped.
    public func rematchReceipts(window: TimeInterval = 600, limit: Int = 500) async throws -> [ReceiptOutcome] {
        try await self.client.withWatchedTransaction(logger: self.logger) { connection in
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
            return try await Self.matchReceipts(rows.decode(ReceiptMatch.self), on: connection, logger: self.logger)
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

/// A final receipt's effect on its part.
struct PartSettlement: Sendable {
    var messageID: UUID
    var partNumber: Int16
    var status: MessageStatus
    var errorCode: Int?
    var description: String?
}

extension PostgresStore {
    /// Sets parts' final statuses and finishes the messages whose parts are now all final, in the
    /// caller's transaction, set-based; writes the finished messages' webhook events. Returns, in
    /// the order of `settlements`, the message's new status at the last settlement of each message
    /// that changed, nil everywhere else (that last settlement also gives the message's error code
    /// and description).
    ///
    /// The messages are locked first, in id order (`FOR NO KEY UPDATE`, which does not wait for
    /// receipts' foreign-key locks): two transactions finishing the last parts of one message then
    /// see each other's work, and two of them cannot deadlock over the same messages.
    static func settleParts(
        _ settlements: [PartSettlement],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [MessageStatus?] {
        guard !settlements.isEmpty else { return [] }
        let messageIDs = Array(Set(settlements.map(\.messageID)))
        for try await _ in try await connection.execute(LockMessages(messageIDs: messageIDs), logger: logger) {}
        var partStatuses: [UUID: [MessageStatus]] = [:]
        let parts = try await connection.execute(
            SettleParts(settlements: settlements, messageIDs: messageIDs),
            logger: logger
        )
        for try await (message, status) in parts {
            partStatuses[message, default: []].append(MessageStatus(rawValue: status) ?? .sent)
        }
        var lastIndex: [UUID: Int] = [:]
        for (index, settlement) in settlements.enumerated() { lastIndex[settlement.messageID] = index }
        var ids: [UUID] = []
        var statuses: [MessageStatus] = []
        var codes: [Int32] = []
        var descriptions: [String] = []
        for (message, index) in lastIndex {
            let settlement = settlements[index]
            guard let combined = MessageStatus.combined(partStatuses[message] ?? []) else { continue }
            ids.append(message)
            statuses.append(combined)
            codes.append(Int32(settlement.errorCode ?? -1))
            descriptions.append(settlement.description ?? "")
        }
        var result = [MessageStatus?](repeating: nil, count: settlements.count)
        guard !ids.isEmpty else { return result }
        let updated = try await connection.execute(
            FinishMessages(ids: ids, statuses: statuses, codes: codes, descriptions: descriptions),
            logger: logger
        )
        var notified: [UUID] = []
        for try await (id, status, hasURL) in updated {
            result[lastIndex[id]!] = MessageStatus(rawValue: status)
            if hasURL { notified.append(id) }
        }
        // The webhook events of those with somewhere to go, in this same transaction.
        try await Self.enqueueStatusEvents(messageIDs: notified, on: connection, logger: logger)
        return result
    }
}

// MARK: Statements

extension PostgresStore {
    /// Which part each receipt belongs to, and every receipt into the history, in one statement.
    ///
    /// The match: per receipt, its candidate id keys in order of likelihood; the first key that
    /// finds a part of the receipt's connector wins, the newest part if several. The history: a
    /// matched receipt with its part; an unmatched one with its id keys, in its row (for the sweep
    /// that matches it later) and in `unmatched_receipt_keys`, where its submit response will find
    /// it; a matched one keeps none — nothing looks for it by them. Receipts are inserted in their
    /// order (the newest of a message is the one with the highest id). NULLs travel as sentinels
    /// (arrays here have none). Rows: the matches, (receipt index, message id, part number, the
    /// key's position).
    struct RecordReceipts: PostgresPreparedStatement {
        static let sql = """
            WITH m AS (
            SELECT DISTINCT ON (c.receipt) c.receipt, p.message_id, p.part_number, c.position
            FROM unnest($1::int4[], $2::int4[], $3::text[], $4::text[]) AS c(receipt, position, key, connector)
            CROSS JOIN LATERAL (
                SELECT p.message_id, p.part_number FROM message_parts p
                WHERE p.smsc_id_key = c.key
                    AND (SELECT m.connector FROM messages m WHERE m.id = p.message_id) = c.connector
                ORDER BY p.submitted_at DESC
                LIMIT 1
            ) p
            ORDER BY c.receipt, c.position
            ), inserted AS (
            INSERT INTO receipts (connector, smsc_message_id, id_keys, message_id, part_number, stat, state,
                intermediate, error_code, network_error, raw, matched_at)
            SELECT t.connector, t.smsc_message_id,
                CASE WHEN m.message_id IS NULL THEN string_to_array(t.id_keys, E'\\x1f') ELSE '{}' END,
                m.message_id, m.part_number, NULLIF(t.stat, E'\\x1f'), t.state, t.intermediate,
                NULLIF(t.error_code, E'\\x1f'), NULLIF(t.network_error, -1), NULLIF(t.raw, E'\\x1f'),
                CASE WHEN m.message_id IS NULL THEN NULL ELSE now() END
            FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[],
                $12::int4[], $13::text[])
                WITH ORDINALITY AS t(connector, smsc_message_id, id_keys, stat, state, intermediate, error_code,
                    network_error, raw, number)
            LEFT JOIN m ON m.receipt = t.number - 1
            ORDER BY t.number
            RETURNING id, connector, id_keys, message_id
            ), keys AS (
            INSERT INTO unmatched_receipt_keys (connector, key, receipt_id, position)
            SELECT DISTINCT ON (i.id, k.key) i.connector, k.key, i.id, k.position::int2
            FROM inserted i CROSS JOIN LATERAL unnest(i.id_keys) WITH ORDINALITY AS k(key, position)
            WHERE i.message_id IS NULL
            ORDER BY i.id, k.key, k.position
            )
            SELECT receipt, message_id, part_number, position FROM m
            """
        typealias Row = (Int32, UUID, Int16, Int32)

        /// Every receipt's candidate id keys, flattened: the receipt's index, the key's position
        /// among its candidates, the key, the receipt's connector.
        struct Candidates {
            var receipts: [Int32]
            var positions: [Int32]
            var keys: [String]
            var connectors: [String]
        }

        var candidates: Candidates
        var receipts: [IncomingReceipt]
        /// The final status of the receipt at each index, nil for an intermediate one.
        var statuses: [MessageStatus?]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 13)
            bindings.append(self.candidates.receipts)
            bindings.append(self.candidates.positions)
            bindings.append(self.candidates.keys)
            bindings.append(self.candidates.connectors)
            bindings.append(self.receipts.map(\.connector))
            bindings.append(self.receipts.map(\.smscMessageID))
            bindings.append(self.receipts.map { $0.candidates.joined(separator: "\u{1F}") })
            bindings.append(self.receipts.map { $0.stat ?? "\u{1F}" })
            bindings.append(self.statuses.map { $0?.rawValue ?? "enroute" })
            bindings.append(self.receipts.map(\.intermediate))
            bindings.append(self.receipts.map { $0.errorCode ?? "\u{1F}" })
            bindings.append(
                self.receipts.map { receipt in
                    receipt.networkError.map { Int32($0.networkType) << 16 | Int32($0.errorCode) } ?? -1
                }
            )
            bindings.append(self.receipts.map { $0.raw ?? "\u{1F}" })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}

extension PostgresStore {
    /// Locks messages in id order before their parts change (see ``settleParts(_:on:logger:)``).
    struct LockMessages: MessageIDsStatement {
        static let sql = "SELECT 1 FROM messages WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE"
        typealias Row = ()

        var messageIDs: [UUID]

        func decodeRow(_ row: PostgresRow) {}
    }

    /// Parts' final statuses, for parts not final yet; returns every part's status of the
    /// settled messages, in order, as it is after the update — one statement, read after
    /// ``LockMessages`` in the statement before it, so that it sees what other transactions
    /// settled of the same messages until they let go of them.
    ///
    /// A receipt settles every part of its message that the SMSC gave the same id: SMSCs that take
    /// a long message whole answer each part's submit with one id and send one receipt.
    struct SettleParts: PostgresPreparedStatement {
        static let sql = """
            WITH settled AS (
            UPDATE message_parts p SET status = u.status, done_at = now(), error_code = NULLIF(u.code, -1)
            FROM unnest($1::uuid[], $2::int2[], $3::text[], $4::int4[]) AS u(message_id, part_number, status, code)
            JOIN message_parts s ON s.message_id = u.message_id AND s.part_number = u.part_number
            WHERE p.message_id = u.message_id AND p.status IN ('pending', 'submitted')
                AND (p.part_number = u.part_number OR p.smsc_id_key = s.smsc_id_key)
            RETURNING p.message_id, p.part_number, p.status
            )
            SELECT p.message_id, COALESCE(s.status, p.status) FROM message_parts p
            LEFT JOIN settled s ON s.message_id = p.message_id AND s.part_number = p.part_number
            WHERE p.message_id = ANY($5)
            ORDER BY p.message_id, p.part_number
            """
        typealias Row = (UUID, String)

        var settlements: [PartSettlement]
        var messageIDs: [UUID]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(self.settlements.map(\.messageID))
            bindings.append(self.settlements.map(\.partNumber))
            bindings.append(self.settlements.map(\.status.rawValue))
            bindings.append(self.settlements.map { Int32($0.errorCode ?? -1) })
            bindings.append(self.messageIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Messages whose parts are all final take their final status (a message still `sending` or
    /// `sent`); a delivered one has no error, another has that of the newest final receipt with its
    /// status — the part that failed, not the last one settled (nor, failing that, this batch's
    /// last receipt of the message). Returns each changed id and status.
    struct FinishMessages: PostgresPreparedStatement {
        static let sql = """
            UPDATE messages m SET status = u.status::message_status, done_at = now(), updated_at = now(),
                error_code = CASE WHEN u.status = 'delivered' THEN NULL
                    WHEN f.stat IS NOT NULL THEN COALESCE(f.network_error & 65535,
                        CASE WHEN f.error_code ~ '^[0-9]{1,9}$' THEN f.error_code::int4 END)
                    ELSE NULLIF(u.code, -1) END,
                error_description = CASE WHEN u.status = 'delivered' THEN NULL
                    WHEN f.stat IS NOT NULL THEN f.stat || ' err:' || COALESCE(f.error_code, '-')
                    ELSE NULLIF(u.description, '') END,
                status_sequence = status_sequence + 1
            FROM unnest($1::uuid[], $2::text[], $3::int4[], $4::text[]) AS u(id, status, code, description)
            LEFT JOIN LATERAL (
                SELECT r.stat, r.error_code, r.network_error FROM receipts r
                WHERE r.message_id = u.id AND r.state = u.status AND NOT r.intermediate
                ORDER BY r.received_at DESC, r.id DESC
                LIMIT 1
            ) f ON u.status <> 'delivered'
            WHERE m.id = u.id AND m.status IN ('sending', 'sent')
            RETURNING m.id, m.status::text, \(PostgresStore.hasStatusURL)
            """
        /// A finished message, its status, and whether it has a status URL.
        typealias Row = (UUID, String, Bool)

        var ids: [UUID]
        var statuses: [MessageStatus]
        var codes: [Int32]
        var descriptions: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(self.ids)
            bindings.append(self.statuses.map(\.rawValue))
            bindings.append(self.codes)
            bindings.append(self.descriptions)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
