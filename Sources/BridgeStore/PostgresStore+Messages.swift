public import BridgeCore
public import Foundation
import NIOCore
import PostgresNIO
import SMPP

extension PostgresStore {
    /// Inserts accepted messages with their parts (and the idempotency record of the request, if
    /// any) in one transaction, and wakes the dispatchers after the commit. Returns once committed.
    ///
    /// - Throws: ``StoreError/idempotencyKeyTaken`` when a concurrent request with the same key
    ///   committed first (nothing was inserted).
    ///
    /// No messages, no record: a request that stored nothing leaves its idempotency key unused.
    ///
    /// Without an idempotency record, concurrent calls share transactions (``InsertCombiner``); such
    /// a shared transaction still waiting for a connection after `timeout` is given up, and the call
    /// throws ``DatabaseDeadlineExceeded`` (nothing was written).
    public func insert(
        _ messages: [AcceptedMessage],
        idempotency: IdempotencyRecord? = nil,
        accountID: UUID? = nil,
        timeout: Duration? = nil
    ) async throws {
        guard !messages.isEmpty else { return }
        if idempotency == nil {
            try await self.inserts.insert(messages, timeout: timeout) { all in
                try await self.insertTransaction(all, idempotency: nil, accountID: nil)
            }
        } else {
            try await self.insertTransaction(messages, idempotency: idempotency, accountID: accountID)
        }
    }

    /// One transaction: the messages, their parts, the idempotency record.
    private func insertTransaction(
        _ messages: [AcceptedMessage],
        idempotency: IdempotencyRecord?,
        accountID: UUID?
    ) async throws {
        let insertMessages = InsertMessages(messages: messages)
        let anyQueued = messages.contains { $0.status == .queued && $0.lease == nil }

        guard let idempotency else {
            // A call its caller gave up on (``withDatabaseDeadline(_:grace:_:)``) writes nothing,
            // even when its connection comes late: `withWatchedConnection` checks before the work.
            try await self.client.withWatchedConnection { connection in
                try await self.insert(insertMessages, on: connection)
            }
            if anyQueued { self.signalQueued() }
            return
        }
        let answer: @Sendable (()) -> IdempotencyRecord = { _ in idempotency }
        _ = try await self.change(accountID: accountID ?? messages[0].accountID, answer: answer) {
            try await self.insert(insertMessages, on: $0)
            return ()
        }
        if anyQueued { self.signalQueued() }
    }

    /// Runs the insert. Its command tag (`INSERT 0 n`, n the parts) is not needed: a message that
    /// cannot be inserted (a taken id, a broken constraint) fails the whole statement, so the
    /// statement either inserted every message or throws.
    private func insert(_ statement: InsertMessages, on connection: PostgresConnection) async throws {
        _ = try await connection.execute(statement, logger: self.logger)
    }

    /// One message of an account, with parts and receipts; `nil` when it does not exist or belongs
    /// to another account.
    public func message(id: UUID, accountID: UUID) async throws -> MessageRecord? {
        let rows = try await self.client.query(
            "SELECT \(unescaped: Self.messageColumns) FROM messages WHERE id = \(id) AND account_id = \(accountID)",
            logger: self.logger
        )
        var record: MessageRecord?
        for try await row in rows { record = try Self.message(from: row) }
        guard var record else { return nil }
        let parts = try await self.client.query(
            """
            SELECT part_number, status, smsc_message_id, submitted_at, done_at, error_code
            FROM message_parts WHERE message_id = \(id) ORDER BY part_number
            """,
            logger: self.logger
        )
        for try await (number, status, smscID, submittedAt, doneAt, errorCode) in parts.decode(
            (Int16, String, String?, Date?, Date?, Int32?).self
        ) {
            record.parts.append(
                PartRecord(
                    partNumber: Int(number),
                    status: status,
                    smscMessageID: smscID,
                    submittedAt: submittedAt,
                    doneAt: doneAt,
                    errorCode: errorCode.map(Int.init)
                )
            )
        }
        let receipts = try await self.client.query(
            """
            SELECT part_number, stat, state, intermediate, error_code, network_error, received_at
            FROM receipts WHERE message_id = \(id) ORDER BY received_at, id
            """,
            logger: self.logger
        )
        for try await (part, stat, state, intermediate, errorCode, networkError, receivedAt) in receipts.decode(
            (Int16?, String?, String, Bool, String?, Int32?, Date).self
        ) {
            record.receipts.append(
                ReceiptRecord(
                    partNumber: part.map(Int.init),
                    stat: stat,
                    state: state,
                    intermediate: intermediate,
                    errorCode: errorCode,
                    networkError: networkError.map(Int.init),
                    receivedAt: receivedAt
                )
            )
        }
        return record
    }

    /// An account's messages, newest first, after `cursor`; parts and receipts are not included.
    public func messages(
        accountID: UUID,
        filter: MessageFilter,
        limit: Int,
        after cursor: ListCursor?
    ) async throws -> [MessageRecord] {
        var listing = ListingQuery(columns: Self.messageColumns, table: "messages", accountID: accountID)
        if let status = filter.status { listing.add({ "status = \($0)::message_status" }, status.rawValue) }
        if let to = filter.to { listing.add({ "destination = \($0)" }, to) }
        if let clientRef = filter.clientRef { listing.add({ "client_ref = \($0)" }, clientRef) }
        if let since = filter.createdSince { listing.add({ "created_at >= \($0)" }, since) }
        if let until = filter.createdUntil { listing.add({ "created_at < \($0)" }, until) }
        let rows = try await self.client.query(listing.query(after: cursor, limit: limit), logger: self.logger)
        var records: [MessageRecord] = []
        for try await row in rows { records.append(try Self.message(from: row)) }
        return records
    }

    /// Cancels a scheduled or queued message.
    public func cancel(id: UUID, accountID: UUID) async throws -> CancelOutcome {
        let canceled = try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            // Only a message no dispatcher holds (its queue row is locked while one claims it).
            let rows = try await connection.query(
                """
                WITH dequeued AS (
                    DELETE FROM message_queue q USING messages m
                    WHERE q.message_id = \(id) AND q.lease_owner IS NULL
                        AND m.id = q.message_id AND m.account_id = \(accountID) AND m.status IN ('scheduled', 'queued')
                    RETURNING q.message_id
                )
                UPDATE messages m SET status = 'canceled', updated_at = now(), done_at = now(), status_sequence = status_sequence + 1
                FROM dequeued WHERE m.id = dequeued.message_id
                RETURNING m.id
                """,
                logger: self.logger
            )
            var canceled = false
            for try await _ in rows { canceled = true }
            guard canceled else { return false }
            // Its parts were never sent: they end with it.
            try await Self.endUnsentParts(
                of: [id],
                statuses: [MessageStatus.canceled.rawValue],
                on: connection,
                logger: self.logger
            )
            try await Self.enqueueStatusEvents(messageIDs: [id], on: connection, logger: self.logger)
            return true
        }
        guard let record = try await self.message(id: id, accountID: accountID) else { return .notFound }
        // Canceling a canceled message again changes nothing and says so (DELETE is idempotent).
        return canceled || record.status == .canceled ? .canceled(record) : .notCancelable(record.status)
    }

    /// Per connector, how many messages wait for the SMSC and how long the oldest has: due (or being
    /// sent) and not yet accepted by the SMSC, counted from acceptance or `send_at` — also while they
    /// go round without reaching it — or from the end of a back-off after a temporary SMSC error
    /// (migration 0011). Scheduled messages not yet due do not count. One pass over the queue table,
    /// which holds only unsent messages.
    public func queueStatistics() async throws -> QueueStatistics {
        let rows = try await self.client.query(
            """
            SELECT connector, count(*)::int8, EXTRACT(EPOCH FROM now() - min(since))::float8
            FROM (SELECT connector, COALESCE(waiting_since, next_attempt_at) AS since FROM message_queue) q
            WHERE since <= now()
            GROUP BY connector
            """,
            logger: self.logger
        )
        var statistics = QueueStatistics()
        for try await (connector, depth, age) in rows.decode((String, Int64, Double).self) {
            statistics.connectors[connector] = QueueStatistics.Load(depth: Int(depth), oldestAge: max(0, age))
        }
        return statistics
    }

    // MARK: Rows

    static let messageColumns = """
        id, account_id, status::text AS status, destination, source, body, binary_body, encoding, part_count, client_ref,
        callback_url, tags, priority, request_receipt, validity_seconds, send_at, expires_at, connector, created_at,
        updated_at, sent_at, done_at, error_code, error_description, status_sequence, attempts
        """

    static func message(from row: PostgresRow) throws -> MessageRecord {
        let row = row.makeRandomAccess()
        let status = try row["status"].decode(String.self)
        return MessageRecord(
            id: try row["id"].decode(UUID.self),
            accountID: try row["account_id"].decode(UUID.self),
            status: MessageStatus(rawValue: status) ?? .failed,
            to: try row["destination"].decode(String.self),
            from: try row["source"].decode(String.self),
            text: try row["body"].decode(String?.self),
            binaryBody: try row["binary_body"].decode(ByteBuffer?.self).map { Array($0.readableBytesView) },
            encoding: try row["encoding"].decode(String.self),
            partCount: Int(try row["part_count"].decode(Int16.self)),
            clientRef: try row["client_ref"].decode(String?.self),
            callbackURL: try row["callback_url"].decode(String?.self),
            tags: try row["tags"].decode([String].self),
            priority: try row["priority"].decode(Int16.self) == 1 ? .urgent : .normal,
            requestReceipt: try row["request_receipt"].decode(Bool.self),
            validity: try row["validity_seconds"].decode(Int32?.self).map(Int.init),
            sendAt: try row["send_at"].decode(Date?.self),
            expiresAt: try row["expires_at"].decode(Date?.self),
            connector: try row["connector"].decode(String.self),
            createdAt: try row["created_at"].decode(Date.self),
            updatedAt: try row["updated_at"].decode(Date.self),
            sentAt: try row["sent_at"].decode(Date?.self),
            doneAt: try row["done_at"].decode(Date?.self),
            errorCode: try row["error_code"].decode(Int32?.self).map(Int.init),
            errorDescription: try row["error_description"].decode(String?.self),
            statusSequence: Int(try row["status_sequence"].decode(Int32.self)),
            attempts: Int(try row["attempts"].decode(Int32.self)),
            parts: [],
            receipts: []
        )
    }

    /// A stored part (the frame the builder encoded, ``AcceptedMessage/frames``) back as a submit_sm.
    static func decodePart(_ buffer: ByteBuffer) -> SubmitSM? {
        var buffer = buffer
        guard case .submitSM(let part) = try? buffer.readSMPPFrame()?.pdu else { return nil }
        return part
    }
}

extension PostgresStore {
    /// How many messages wait or are being sent, by status (`scheduled`, `queued`, `sending`; a
    /// status without messages is 0). Cheap: counted in the queue, which holds only these.
    public func activeMessageCounts() async throws -> [MessageStatus: Int] {
        var counts: [MessageStatus: Int] = [.scheduled: 0, .queued: 0, .sending: 0]
        let rows = try await self.client.query(
            """
            SELECT CASE WHEN lease_owner IS NOT NULL THEN 'sending' WHEN scheduled THEN 'scheduled' ELSE 'queued' END,
                count(*)::int8
            FROM message_queue GROUP BY 1
            """,
            logger: self.logger
        )
        for try await (status, count) in rows.decode((String, Int64).self) {
            if let status = MessageStatus(rawValue: status) { counts[status] = Int(count) }
        }
        return counts
    }
}

extension PostgresStore {
    /// Messages, their queue entries and their parts in one statement (atomic without BEGIN/COMMIT
    /// round trips; the parts' foreign keys are checked at its end, when the messages are there).
    /// NULLs travel as sentinels (empty text, -1, the epoch) because arrays here have no NULL
    /// elements. A message its accepting instance sends itself (``AcceptedMessage/lease``) is
    /// stored as `sending`, its first attempt, leased to that instance.
    struct InsertMessages: PostgresPreparedStatement {
        static let sql = """
            WITH inserted AS (
                INSERT INTO messages (id, account_id, status, destination, source, body, binary_body, encoding, part_count,
                    client_ref, callback_url, tags, priority, request_receipt, validity_seconds, send_at, expires_at,
                    connector, created_at, updated_at, attempts)
                SELECT id, account_id, status::message_status, destination, source, NULLIF(body, ''),
                    NULLIF(binary_body, '\\x'::bytea), encoding, part_count, NULLIF(client_ref, ''), NULLIF(callback_url, ''),
                    CASE WHEN tags = '' THEN '{}'::text[] ELSE string_to_array(tags, E'\\x1f') END,
                    priority, request_receipt, NULLIF(validity, -1), NULLIF(send_at, 'epoch'), NULLIF(expires_at, 'epoch'),
                    connector, created_at, created_at, attempts
                FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[],
                    $8::text[], $9::int2[], $10::text[], $11::text[], $12::text[], $13::int2[], $14::bool[], $15::int4[],
                    $16::timestamptz[], $17::timestamptz[], $18::text[], $19::timestamptz[], $20::int4[])
                    AS t(id, account_id, status, destination, source, body, binary_body, encoding, part_count, client_ref,
                         callback_url, tags, priority, request_receipt, validity, send_at, expires_at, connector, created_at,
                         attempts)
                RETURNING id, status, connector, priority, COALESCE(send_at, created_at) AS next_attempt_at
            ), queued AS (
                INSERT INTO message_queue (message_id, connector, priority, next_attempt_at, waiting_since, scheduled,
                    lease_owner, lease_expires_at)
                SELECT id, connector, priority, next_attempt_at, next_attempt_at, status = 'scheduled',
                    CASE WHEN status = 'sending' THEN $21::uuid END,
                    CASE WHEN status = 'sending' THEN now() + make_interval(secs => $22::float8) END
                FROM inserted
                WHERE status IN ('queued', 'scheduled', 'sending')
            )
            INSERT INTO message_parts (message_id, part_number, pdu)
            SELECT * FROM unnest($23::uuid[], $24::int2[], $25::bytea[])
            """
        typealias Row = ()

        var messages: [AcceptedMessage]

        func makeBindings() -> PostgresBindings {
            let epoch = Date(timeIntervalSince1970: 0)
            var partIDs: [UUID] = []
            var partNumbers: [Int16] = []
            var partPDUs: [ByteBuffer] = []
            for message in self.messages {
                for (index, frame) in message.frames.enumerated() {
                    partIDs.append(message.id)
                    partNumbers.append(Int16(index + 1))
                    partPDUs.append(frame)
                }
            }
            // Every lease of one call is the same: one instance's dispatcher inserts through one store.
            let lease = self.messages.lazy.compactMap(\.lease).first
            var bindings = PostgresBindings(capacity: 25)
            bindings.append(self.messages.map(\.id))
            bindings.append(self.messages.map(\.accountID))
            bindings.append(self.messages.map { $0.lease == nil ? $0.status.rawValue : MessageStatus.sending.rawValue })
            bindings.append(self.messages.map(\.to))
            bindings.append(self.messages.map(\.from))
            bindings.append(self.messages.map { $0.text ?? "" })
            bindings.append(self.messages.map { ByteBuffer(bytes: $0.binaryBody ?? []) })
            bindings.append(self.messages.map(\.encoding))
            bindings.append(self.messages.map { Int16($0.parts.count) })
            bindings.append(self.messages.map { $0.clientRef ?? "" })
            bindings.append(self.messages.map { $0.callbackURL ?? "" })
            bindings.append(self.messages.map { $0.tags.joined(separator: "\u{1F}") })
            bindings.append(self.messages.map { Int16($0.priority == .urgent ? 1 : 0) })
            bindings.append(self.messages.map(\.requestReceipt))
            bindings.append(self.messages.map { Int32($0.validity ?? -1) })
            bindings.append(self.messages.map { $0.sendAt ?? epoch })
            bindings.append(self.messages.map { $0.expiresAt ?? epoch })
            bindings.append(self.messages.map(\.connector))
            bindings.append(self.messages.map(\.createdAt))
            bindings.append(self.messages.map { Int32($0.lease == nil ? 0 : 1) })
            bindings.append(lease?.owner)
            bindings.append(lease?.duration ?? 0)
            bindings.append(partIDs)
            bindings.append(partNumbers)
            bindings.append(partPDUs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) {}
    }
}
