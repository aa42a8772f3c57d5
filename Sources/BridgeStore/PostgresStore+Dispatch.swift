import BridgeCore
public import Foundation
import NIOCore
import PostgresNIO
import SMPP

extension PostgresStore {
    /// Claims up to `limit` due messages (queued, or scheduled and due), urgent first, marking them
    /// `sending` with a lease held by `owner`. Rows other dispatchers hold are skipped, never waited on;
    /// so are the messages of paused connectors (``pauseConnector(_:reason:)``).
    public func claimDue(owner: UUID, limit: Int, lease: TimeInterval) async throws -> [ClaimedMessage] {
        let rows = try await self.client.execute(ClaimDue(owner: owner, limit: Int64(limit), lease: lease), logger: self.logger)
        var claimed: [UUID: ClaimedMessage] = [:]
        var order: [UUID] = []
        for try await (id, account, connector, priority, expiresAt, attempts) in rows {
            order.append(id)
            claimed[id] = ClaimedMessage(
                id: id,
                accountID: account,
                connector: connector,
                priority: priority == 1 ? .urgent : .normal,
                expiresAt: expiresAt,
                attempts: Int(attempts),
                parts: []
            )
        }
        guard !order.isEmpty else { return [] }
        let parts = try await self.client.execute(ClaimedParts(messageIDs: order), logger: self.logger)
        for try await (id, number, pdu, submitted) in parts {
            guard let submitSM = Self.decodePart(pdu) else { continue }
            claimed[id]?.parts.append(ClaimedPart(number: Int(number), submitSM: submitSM, submitted: submitted))
        }
        return order.compactMap { claimed[$0] }
    }

    /// Records what became of claimed messages, in one transaction: the SMSC ids of accepted parts,
    /// `sent` / back to `queued` / a final status, leases released. Receipts that arrived before
    /// the ids were known are matched now. Reports for messages whose lease `owner` lost (another
    /// instance took them over) change no status.
    @discardableResult
    public func report(_ reports: [SubmissionReport], owner: UUID) async throws -> [ReceiptOutcome] {
        guard !reports.isEmpty else { return [] }
        var partIDs: [UUID] = []
        var partNumbers: [Int16] = []
        var smscIDs: [String] = []
        var keys: [String] = []
        var connectors: [String] = []
        var sentIDs: [UUID] = []
        var retryIDs: [UUID] = []
        var retryDelays: [Double] = []
        var retryCodes: [Int32] = []
        var retryDescriptions: [String] = []
        var retryUncounted: [Bool] = []
        var finishedIDs: [UUID] = []
        var finishedStatuses: [String] = []
        var finishedCodes: [Int32] = []
        var finishedDescriptions: [String] = []
        for report in reports {
            for part in report.submitted {
                partIDs.append(report.messageID)
                partNumbers.append(Int16(part.number))
                smscIDs.append(part.smscMessageID)
                keys.append(part.key)
                connectors.append(report.connector)
            }
            switch report.outcome {
            case .sent:
                sentIDs.append(report.messageID)
            case .retry(let delay, let code, let description, let counted):
                retryUncounted.append(!counted)
                retryIDs.append(report.messageID)
                retryDelays.append(delay)
                retryCodes.append(Int32(code ?? -1))
                retryDescriptions.append(description)
            case .finished(let status, let code, let description):
                finishedIDs.append(report.messageID)
                finishedStatuses.append(status.rawValue)
                finishedCodes.append(Int32(code ?? -1))
                finishedDescriptions.append(description)
            }
        }
        return try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            if !partIDs.isEmpty {
                _ = try await connection.execute(
                    MarkPartsSubmitted(messageIDs: partIDs, partNumbers: partNumbers, smscIDs: smscIDs, keys: keys),
                    logger: self.logger
                )
            }
            // Messages whose status changed here and that have a status URL, for their webhook events.
            var changed: [UUID] = []
            // A message leaves the queue once sent or finished, and goes back to it for a retry;
            // only while this instance still holds its lease.
            if !sentIDs.isEmpty {
                let rows = try await connection.execute(MarkSent(messageIDs: sentIDs, owner: owner), logger: self.logger)
                for try await (id, hasURL) in rows where hasURL { changed.append(id) }
            }
            if !retryIDs.isEmpty {
                try await connection.query(
                    """
                    WITH retries AS (
                        SELECT * FROM unnest(\(retryIDs)::uuid[], \(retryDelays)::float8[], \(retryCodes)::int4[],
                            \(retryDescriptions)::text[], \(retryUncounted)::bool[]) AS u(id, delay, code, description, uncounted)
                    ), requeued AS (
                        UPDATE message_queue q SET lease_owner = NULL, lease_expires_at = NULL,
                            next_attempt_at = now() + make_interval(secs => r.delay),
                            -- A retry that never reached the SMSC still waits for it (migration 0011).
                            waiting_since = CASE WHEN r.uncounted THEN COALESCE(q.waiting_since, q.next_attempt_at)
                                ELSE now() + make_interval(secs => r.delay) END
                        FROM retries r WHERE q.message_id = r.id AND q.lease_owner = \(owner)
                        RETURNING q.message_id
                    )
                    UPDATE messages m SET status = 'queued', error_code = NULLIF(r.code, -1), error_description = r.description,
                        attempts = m.attempts - CASE WHEN r.uncounted AND m.attempts > 0 THEN 1 ELSE 0 END,
                        updated_at = now(), status_sequence = m.status_sequence + 1
                    FROM retries r JOIN requeued q ON q.message_id = r.id
                    WHERE m.id = r.id AND m.status = 'sending'
                    """,
                    logger: self.logger
                )
            }
            if !finishedIDs.isEmpty {
                let rows = try await connection.query(
                    """
                    WITH finished AS (
                        SELECT * FROM unnest(\(finishedIDs)::uuid[], \(finishedStatuses)::text[], \(finishedCodes)::int4[],
                            \(finishedDescriptions)::text[]) AS u(id, status, code, description)
                    ), dequeued AS (
                        DELETE FROM message_queue q USING finished f WHERE q.message_id = f.id AND q.lease_owner = \(owner)
                        RETURNING q.message_id
                    )
                    UPDATE messages m SET status = f.status::message_status, done_at = now(), updated_at = now(),
                        error_code = NULLIF(f.code, -1), error_description = f.description, status_sequence = m.status_sequence + 1
                    FROM finished f JOIN dequeued d ON d.message_id = f.id
                    WHERE m.id = f.id AND m.status = 'sending'
                    RETURNING m.id, \(unescaped: Self.hasStatusURL)
                    """,
                    logger: self.logger
                )
                for try await (id, hasURL) in rows.decode((UUID, Bool).self) where hasURL { changed.append(id) }
                try await Self.endUnsentParts(of: finishedIDs, statuses: finishedStatuses, on: connection, logger: self.logger)
            }
            try await Self.enqueueStatusEvents(messageIDs: changed, on: connection, logger: self.logger)
            guard !partIDs.isEmpty else { return [] }
            // Receipts that came before their submit response was stored, found by key (see
            // migration 0005); a receipt whose several id forms match takes its likeliest. A plain
            // query, planned at each call: how many receipts wait unmatched swings from none to
            // thousands and back within seconds, and a plan kept from a quiet moment walks all of
            // them for every part (measured: 0.3 s a call).
            let early = try await connection.query(
                """
                SELECT DISTINCT ON (r.received_at, r.id)
                    r.id, u.message_id, u.part_number, r.state, r.intermediate, r.network_error, r.error_code, r.stat
                FROM unnest(\(partIDs)::uuid[], \(partNumbers)::int2[], \(keys)::text[], \(connectors)::text[])
                    AS u(message_id, part_number, key, connector)
                JOIN unmatched_receipt_keys k ON k.connector = u.connector AND k.key = u.key
                JOIN receipts r ON r.id = k.receipt_id AND r.message_id IS NULL
                ORDER BY r.received_at, r.id, k.position
                """,
                logger: self.logger
            )
            return try await Self.matchReceipts(early.decode(ReceiptMatch.self), on: connection, logger: self.logger)
        }
    }

    /// A stored receipt and the part it belongs to: (receipt id, message id, part number, state,
    /// intermediate, network error, error code, stat).
    typealias ReceiptMatch = (Int64, UUID, Int16, String, Bool, Int32?, String?, String?)

    /// Matches receipts to their parts and applies them. A receipt another transaction matched
    /// meanwhile is skipped.
    static func matchReceipts(
        _ rows: some AsyncSequence<ReceiptMatch, any Error>,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [ReceiptOutcome] {
        var matches: [ReceiptMatch] = []
        for try await row in rows { matches.append(row) }
        guard !matches.isEmpty else { return [] }
        // Claim them (a concurrent sweep may have matched some meanwhile), then settle set-based.
        let claimedRows = try await connection.query(
            """
            WITH claimed AS (
                UPDATE receipts r SET message_id = u.message_id, part_number = u.part_number, matched_at = now()
                FROM unnest(\(matches.map(\.0))::int8[], \(matches.map(\.1))::uuid[], \(matches.map(\.2))::int2[])
                    AS u(id, message_id, part_number)
                WHERE r.id = u.id AND r.message_id IS NULL
                RETURNING r.id
            ), forgotten AS (
                DELETE FROM unmatched_receipt_keys k USING claimed c WHERE k.receipt_id = c.id
            )
            SELECT id FROM claimed
            """,
            logger: logger
        )
        var claimed: Set<Int64> = []
        for try await id in claimedRows.decode(Int64.self) { claimed.insert(id) }
        let taken = matches.filter { claimed.contains($0.0) }
        let settling = taken.filter { !$0.4 && MessageStatus(rawValue: $0.3) != nil }
        let changed = try await Self.settleParts(
            settling.map { (_, messageID, part, state, _, networkError, errorCode, stat) in
                PartSettlement(
                    messageID: messageID,
                    partNumber: part,
                    status: MessageStatus(rawValue: state)!,
                    // Stored as type << 16 | code; the message keeps the code, as when matched at once.
                    errorCode: networkError.map { Int($0 & 0xFFFF) } ?? errorCode.flatMap { Int($0) },
                    description: stat.map { "\($0) err:\(errorCode ?? "-")" }
                )
            },
            on: connection,
            logger: logger
        )
        let finishedBy = Dictionary(uniqueKeysWithValues: zip(settling.map(\.0), changed))
        return taken.map { (receiptID, messageID, part, _, _, _, _, _) in
            .matched(messageID: messageID, partNumber: Int(part), messageStatus: finishedBy[receiptID] ?? nil)
        }
    }

    // MARK: Instances and leases

    /// Records that an instance is alive; with `connections`, publishes its open SMPP connections
    /// in the same statement, for the other instances' de-duplication of inbound PDUs
    /// (``storeInbound(_:accountID:dedupeWindow:openConnections:instance:instanceDeadAfter:smscDefault:)``).
    ///
    /// The connections are read inside a transaction, so that the time stored with them (`now()`,
    /// its BEGIN) comes before the reading: a connection opened after it may be missing, never one
    /// older. Without `connections` the last publication stays. One row write either way (a
    /// publication of its own wrote the row a second time each maintenance round).
    public func heartbeat(instance: UUID, connections: (@Sendable () -> [UInt64])? = nil) async throws {
        let logger = self.logger
        @Sendable func beat(on connection: PostgresConnection, _ open: [Int64]?) async throws {
            try await connection.query(
                """
                INSERT INTO instances AS i (id, started_at, heartbeat_at, inbound_connections, connections_at)
                VALUES (\(instance), now(), now(), \(open)::int8[],
                    CASE WHEN \(open)::int8[] IS NOT NULL THEN now() END)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(),
                    inbound_connections = COALESCE(EXCLUDED.inbound_connections, i.inbound_connections),
                    connections_at = COALESCE(EXCLUDED.connections_at, i.connections_at)
                """,
                logger: logger
            )
        }
        if let connections {
            try await self.client.withWatchedTransaction(logger: logger) { connection in
                try await beat(on: connection, connections().map { Int64(bitPattern: $0) })
            }
        } else {
            try await self.client.withWatchedConnection { try await beat(on: $0, nil) }
        }
    }

    /// Puts back into the queue messages whose lease ran out or whose instance stopped heart-beating
    /// for `deadAfter` seconds. Returns how many.
    @discardableResult
    public func recoverLeases(deadAfter: TimeInterval) async throws -> Int {
        let rows = try await self.client.query(
            """
            WITH lapsed AS (
                SELECT q.message_id, m.status = 'sending' AS open
                FROM message_queue q LEFT JOIN messages m ON m.id = q.message_id
                WHERE q.lease_owner IS NOT NULL AND (
                    q.lease_expires_at < now()
                    OR q.lease_owner IN (SELECT id FROM instances WHERE heartbeat_at < now() - make_interval(secs => \(deadAfter)))
                )
                FOR UPDATE OF q SKIP LOCKED
            ), forgotten AS (
                -- Finished meanwhile (a receipt came before the report that would have dequeued it),
                -- or gone: nothing to send.
                DELETE FROM message_queue q USING lapsed l WHERE q.message_id = l.message_id AND l.open IS NOT TRUE
            ), recovered AS (
                UPDATE message_queue q SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
                FROM lapsed l WHERE q.message_id = l.message_id AND l.open
                RETURNING q.message_id
            )
            UPDATE messages m SET status = 'queued', updated_at = now(), status_sequence = status_sequence + 1
            FROM recovered WHERE m.id = recovered.message_id
            RETURNING m.id
            """,
            logger: self.logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        if count > 0 {
            try await self.client.queryDiscardingRows(
                "SELECT pg_notify(\(Self.queuedChannel), '')",
                logger: self.logger
            )
        }
        try await self.client.query(
            "DELETE FROM instances WHERE heartbeat_at < now() - make_interval(secs => \(deadAfter * 10))",
            logger: self.logger
        )
        return count
    }

    /// Ends `expired` the waiting messages whose validity ran out (queued, scheduled, or back in the
    /// queue for a retry; not those an instance holds), with their parts, and writes their status
    /// events; at most `limit` per call. Returns how many. The dispatcher also expires a message it
    /// claims too late; this reaches those it does not claim — a paused connector's, whose event
    /// otherwise came only when it was resumed.
    @discardableResult
    public func expireOverdueMessages(limit: Int = 1_000) async throws -> Int {
        try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            let rows = try await connection.query(
                """
                WITH overdue AS (
                    SELECT q.message_id FROM message_queue q
                    WHERE q.lease_owner IS NULL AND EXISTS (
                        SELECT 1 FROM messages m
                        WHERE m.id = q.message_id AND m.expires_at <= now() AND m.status IN ('queued', 'scheduled'))
                    LIMIT \(Int64(limit))
                    FOR UPDATE OF q SKIP LOCKED
                ), dequeued AS (
                    DELETE FROM message_queue q USING overdue o WHERE q.message_id = o.message_id
                    RETURNING q.message_id
                )
                UPDATE messages m SET status = 'expired', done_at = now(), updated_at = now(),
                    error_code = NULL, error_description = 'validity ran out before sending',
                    status_sequence = m.status_sequence + 1
                FROM dequeued d
                WHERE m.id = d.message_id AND m.status IN ('queued', 'scheduled')
                RETURNING m.id, \(unescaped: Self.hasStatusURL)
                """,
                logger: self.logger
            )
            var expired: [UUID] = []
            var notified: [UUID] = []
            for try await (id, hasURL) in rows.decode((UUID, Bool).self) {
                expired.append(id)
                if hasURL { notified.append(id) }
            }
            guard !expired.isEmpty else { return 0 }
            try await Self.endUnsentParts(
                of: expired,
                statuses: expired.map { _ in MessageStatus.expired.rawValue },
                on: connection,
                logger: self.logger
            )
            try await Self.enqueueStatusEvents(messageIDs: notified, on: connection, logger: self.logger)
            return expired.count
        }
    }

    /// The parts never sent of messages that ended (`statuses[i]` the status of `messageIDs[i]`) end
    /// with them: `expired` or `canceled` as their message, `failed` otherwise. In the caller's
    /// transaction.
    static func endUnsentParts(
        of messageIDs: [UUID],
        statuses: [String],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE message_parts p SET done_at = now(),
                status = CASE WHEN f.status IN ('expired', 'canceled') THEN f.status ELSE 'failed' END
            FROM unnest(\(messageIDs)::uuid[], \(statuses)::text[]) AS f(id, status)
            WHERE p.message_id = f.id AND p.status = 'pending'
            """,
            logger: logger
        )
    }

    /// At shutdown: the messages this instance still holds go back to the queue, and it leaves.
    /// Called once every submit's outcome is recorded, so they were never sent: their claim's
    /// attempt is given back.
    public func releaseLeases(owner: UUID) async throws {
        try await self.client.query(
            """
            WITH released AS (
                UPDATE message_queue SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
                WHERE lease_owner = \(owner)
                RETURNING message_id
            )
            UPDATE messages m SET status = 'queued', updated_at = now(), status_sequence = status_sequence + 1,
                attempts = GREATEST(m.attempts - 1, 0)
            FROM released WHERE m.id = released.message_id AND m.status = 'sending'
            """,
            logger: self.logger
        )
        try await self.client.query("DELETE FROM instances WHERE id = \(owner)", logger: self.logger)
    }
}

// MARK: Statements

extension PostgresStore {
    /// Due messages (queued, or scheduled and due), urgent first, leased to `owner` and marked
    /// `sending`; rows other dispatchers hold and messages of paused connectors are skipped.
    ///
    /// `messages` is reached by key through the list of leased ids (`= ANY(ARRAY(…))`), never
    /// joined to the CTE: for a join, a generic plan made when few rows had the status asked for
    /// scanned `messages` whole and compared each row with each id (measured: 0.36 s for 500).
    struct ClaimDue: PostgresPreparedStatement {
        static let sql = """
            WITH due AS (
                SELECT message_id FROM message_queue
                WHERE lease_owner IS NULL AND next_attempt_at <= now()
                    AND connector NOT IN (SELECT connector FROM connector_pauses)
                ORDER BY priority DESC, next_attempt_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), leased AS (
                UPDATE message_queue q
                SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $3), scheduled = false
                FROM due WHERE q.message_id = due.message_id
                RETURNING q.message_id
            )
            UPDATE messages m
            SET status = 'sending', attempts = attempts + 1, updated_at = now(), status_sequence = status_sequence + 1
            WHERE m.id = ANY(ARRAY(SELECT message_id FROM leased)) AND m.status IN ('queued', 'scheduled', 'sending')
            RETURNING m.id, m.account_id, m.connector, m.priority, m.expires_at, m.attempts
            """
        typealias Row = (UUID, UUID, String, Int16, Date?, Int32)

        var owner: UUID
        var limit: Int64
        var lease: Double

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(self.owner)
            bindings.append(self.limit)
            bindings.append(self.lease)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The parts of claimed messages, in order: number, stored submit_sm, and whether an earlier
    /// attempt got it accepted.
    struct ClaimedParts: MessageIDsStatement {
        static let sql = """
            SELECT message_id, part_number, pdu, smsc_message_id IS NOT NULL
            FROM message_parts WHERE message_id = ANY($1) ORDER BY message_id, part_number
            """
        typealias Row = (UUID, Int16, ByteBuffer, Bool)

        var messageIDs: [UUID]

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Parts the SMSC accepted: their SMSC ids and normalised id keys.
    struct MarkPartsSubmitted: PostgresPreparedStatement {
        static let sql = """
            UPDATE message_parts p
            SET status = 'submitted', smsc_message_id = u.smsc_id, smsc_id_key = u.key, submitted_at = now()
            FROM unnest($1::uuid[], $2::int2[], $3::text[], $4::text[]) AS u(message_id, part_number, smsc_id, key)
            WHERE p.message_id = u.message_id AND p.part_number = u.part_number
            """
        typealias Row = ()

        var messageIDs: [UUID]
        var partNumbers: [Int16]
        var smscIDs: [String]
        var keys: [String]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(self.messageIDs)
            bindings.append(self.partNumbers)
            bindings.append(self.smscIDs)
            bindings.append(self.keys)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) {}
    }

    /// Messages sent: out of the queue and `sending → sent`, only while `owner` still holds their
    /// lease. Returns the ids that changed. `messages` is reached by key, as in ``ClaimDue``.
    struct MarkSent: PostgresPreparedStatement {
        static let sql = """
            WITH dequeued AS (
                DELETE FROM message_queue WHERE message_id = ANY($1) AND lease_owner = $2
                RETURNING message_id
            )
            UPDATE messages m SET status = 'sent', sent_at = now(), updated_at = now(), error_code = NULL,
                error_description = NULL, status_sequence = status_sequence + 1
            WHERE m.id = ANY(ARRAY(SELECT message_id FROM dequeued)) AND m.status = 'sending'
            RETURNING m.id, \(PostgresStore.hasStatusURL)
            """
        /// A message marked sent, and whether it has a status URL.
        typealias Row = (UUID, Bool)

        var messageIDs: [UUID]
        var owner: UUID

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(self.messageIDs)
            bindings.append(self.owner)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
