import Crypto
public import Foundation
import NIOCore
import PostgresNIO
public import SMPP

/// One mobile-originated message or part, as received.
public struct IncomingPart: Sendable, Hashable {
    public var connector: String
    /// The sender's address text as received (octets that are not UTF-8 escaped, see
    /// `String(smppOctets:)`): with `destination`, what identifies a message's parts and a repeated PDU.
    public var source: String
    /// The recipient's address text as received.
    public var destination: String
    /// The sender as the API shows it (`Address.displayText`).
    public var from: String
    /// The recipient as the API shows it.
    public var to: String
    public var dataCoding: DataCoding
    /// The user data without its User Data Header.
    public var userData: [UInt8]
    /// Set when this is one part of a concatenated message.
    public var concatenation: ConcatenationInfo?
    /// The connection it arrived on (``SMPPClient/InboundEvent/connection``); `nil` when a repeat
    /// must count as a redelivery whatever carried it (see ``PostgresStore/storeInbound(_:accountID:dedupeWindow:openConnections:smscDefault:)``).
    public var connection: UInt64?

    /// `from` and `to` default to `source` and `destination` with octets that are not UTF-8 read
    /// as Latin-1; pass `Address.displayText` when the addresses' TON is known.
    public init(
        connector: String,
        source: String,
        destination: String,
        from: String? = nil,
        to: String? = nil,
        dataCoding: DataCoding,
        userData: [UInt8],
        concatenation: ConcatenationInfo?,
        connection: UInt64? = nil
    ) {
        self.connector = connector
        self.source = source
        self.destination = destination
        self.from = from ?? source.smppOctetsReadAsLatin1
        self.to = to ?? destination.smppOctetsReadAsLatin1
        self.dataCoding = dataCoding
        self.userData = userData
        self.concatenation = concatenation
        self.connection = connection
    }
}

/// What storing an inbound part did.
public enum InboundOutcome: Sendable, Hashable {
    /// A whole message is stored.
    case stored(InboundRecord)
    /// A part is stored; the message waits for the others.
    case waiting(received: Int, total: Int)
    /// The same PDU arrived within the de-duplication window (an SMSC re-sending after a lost
    /// deliver_sm_resp): nothing stored.
    case duplicate
}

extension PostgresStore {
    /// Stores an inbound message or part in one transaction. A repeat of the same PDU within
    /// `dedupeWindow` seconds is a redelivery (an SMSC that did not get our answer), stored once —
    /// unless the connection that brought the last copy is still open (one of `openConnections`,
    /// which holds the part's own): an answer sent in time on a connection that stays up arrives,
    /// so the phone sent the same text again. The caller leaves out the part's connection when its
    /// last copy was answered late or with an error. A redelivery moves the entry to its
    /// connection, so that the phone's next repeat on it is new again. Parts are kept until every part of
    /// their message arrived (any order), then joined, decoded and stored as one message.
    ///
    /// A last copy stored by another `instance` is judged by what that instance published
    /// (``heartbeat(instance:connections:)``): its connection is gone when the instance is silent
    /// for `instanceDeadAfter` seconds, or published a reading newer than the copy without it.
    public func storeInbound(
        _ part: IncomingPart,
        accountID: UUID?,
        dedupeWindow: TimeInterval,
        openConnections: [UInt64] = [],
        instance: UUID? = nil,
        instanceDeadAfter: TimeInterval = 30,
        smscDefault: TextEncoding = .gsm7
    ) async throws -> InboundOutcome {
        let dedupeKey = Self.dedupeKey(part)
        let carrier = part.connection.map { Int64(bitPattern: $0) }
        let open = part.connection == nil ? [] : openConnections.map { Int64(bitPattern: $0) }
        return try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            // Fresh when new, older than the window, or last seen on a connection still open (this
            // instance's own, or one another live instance holds or may hold); the entry's time is
            // that of the last fresh copy (seen_at = now() tells which this was).
            let fresh = try await connection.query(
                """
                INSERT INTO inbound_dedupe AS d (key, seen_at, connection, instance)
                VALUES (\(dedupeKey), now(), \(carrier), \(instance))
                ON CONFLICT (key) DO UPDATE SET
                    seen_at = CASE WHEN d.seen_at < now() - make_interval(secs => \(dedupeWindow))
                        OR d.connection = ANY(\(open)::int8[])
                        OR (\(carrier)::int8 IS NOT NULL AND d.instance IS DISTINCT FROM \(instance)::uuid AND EXISTS (
                            SELECT 1 FROM instances i
                            WHERE i.id = d.instance AND i.heartbeat_at > now() - make_interval(secs => \(instanceDeadAfter))
                                AND (i.connections_at IS NULL OR i.connections_at <= d.seen_at
                                    OR d.connection = ANY(i.inbound_connections))))
                        THEN now() ELSE d.seen_at END,
                    connection = EXCLUDED.connection, instance = EXCLUDED.instance
                RETURNING seen_at = now()
                """,
                logger: self.logger
            )
            var isFresh = false
            for try await value in fresh.decode(Bool.self) { isFresh = value }
            guard isFresh else { return .duplicate }

            guard let concatenation = part.concatenation, concatenation.total > 1 else {
                let record = try await Self.insertInbound(
                    connector: part.connector,
                    from: part.from,
                    to: part.to,
                    accountID: accountID,
                    parts: [(part.dataCoding, part.userData)],
                    partCount: 1,
                    complete: true,
                    smscDefault: smscDefault,
                    on: connection,
                    logger: self.logger
                )
                return .stored(record)
            }
            // One message's parts are assembled by one transaction at a time.
            let setKey =
                "\(part.connector)|\(part.source)|\(part.destination)|\(concatenation.reference)|\(concatenation.total)"
            try await connection.queryDiscardingRows(
                "SELECT pg_advisory_xact_lock(hashtext(\(setKey)))",
                logger: self.logger
            )
            try await connection.query(
                """
                INSERT INTO inbound_parts (connector, source, destination, reference, total, sequence, data_coding, user_data,
                    display_source, display_destination)
                VALUES (\(part.connector), \(part.source), \(part.destination), \(Int32(concatenation.reference)),
                        \(Int16(concatenation.total)), \(Int16(concatenation.sequence)), \(Int16(part.dataCoding.rawValue)),
                        \(ByteBuffer(bytes: part.userData)), \(part.from), \(part.to))
                ON CONFLICT DO NOTHING
                """,
                logger: self.logger
            )
            let parts = try await Self.parts(
                connector: part.connector,
                source: part.source,
                destination: part.destination,
                reference: Int32(concatenation.reference),
                total: Int16(concatenation.total),
                on: connection,
                logger: self.logger
            )
            guard parts.count >= Int(concatenation.total) else {
                return .waiting(received: parts.count, total: Int(concatenation.total))
            }
            let record = try await Self.assemble(
                parts,
                connector: part.connector,
                source: part.source,
                destination: part.destination,
                reference: Int32(concatenation.reference),
                total: Int16(concatenation.total),
                accountID: accountID,
                complete: true,
                smscDefault: smscDefault,
                on: connection,
                logger: self.logger
            )
            return .stored(record)
        }
    }

    /// Delivers the messages whose parts have waited longer than `timeout` seconds with what arrived
    /// (marked incomplete). `account` routes each by its destination.
    public func flushIncompleteInbound(
        olderThan timeout: TimeInterval,
        smscDefault: TextEncoding = .gsm7,
        account: @escaping @Sendable (String) -> UUID?
    ) async throws -> [InboundRecord] {
        let stale = try await self.client.query(
            """
            SELECT connector, source, destination, reference, total FROM inbound_parts
            GROUP BY connector, source, destination, reference, total
            HAVING min(received_at) < now() - make_interval(secs => \(timeout))
            """,
            logger: self.logger
        )
        var sets: [(String, String, String, Int32, Int16)] = []
        for try await row in stale.decode((String, String, String, Int32, Int16).self) { sets.append(row) }
        var records: [InboundRecord] = []
        for (connector, source, destination, reference, total) in sets {
            let record: InboundRecord? = try await self.client.withWatchedTransaction(logger: self.logger) { connection in
                let setKey = "\(connector)|\(source)|\(destination)|\(reference)|\(total)"
                try await connection.queryDiscardingRows(
                    "SELECT pg_advisory_xact_lock(hashtext(\(setKey)))",
                    logger: self.logger
                )
                let parts = try await Self.parts(
                    connector: connector,
                    source: source,
                    destination: destination,
                    reference: reference,
                    total: total,
                    on: connection,
                    logger: self.logger
                )
                guard !parts.isEmpty else { return nil }
                return try await Self.assemble(
                    parts,
                    connector: connector,
                    source: source,
                    destination: destination,
                    reference: reference,
                    total: total,
                    accountID: account(destination),
                    complete: parts.count >= Int(total),
                    smscDefault: smscDefault,
                    on: connection,
                    logger: self.logger
                )
            }
            if let record { records.append(record) }
        }
        return records
    }

    /// Forgets de-duplication keys older than `age` seconds.
    public func purgeInboundDedupe(olderThan age: TimeInterval) async throws {
        try await self.client.query(
            "DELETE FROM inbound_dedupe WHERE seen_at < now() - make_interval(secs => \(age))",
            logger: self.logger
        )
    }

    // MARK: Helpers

    /// A part waiting in `inbound_parts`.
    private struct StoredPart {
        var sequence: Int16
        var dataCoding: Int16
        var userData: ByteBuffer
        /// `display_source` / `display_destination`; `nil` when stored before migration 0010.
        var from: String?
        var to: String?
    }

    private static func parts(
        connector: String,
        source: String,
        destination: String,
        reference: Int32,
        total: Int16,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [StoredPart] {
        let rows = try await connection.query(
            """
            SELECT sequence, data_coding, user_data, display_source, display_destination FROM inbound_parts
            WHERE connector = \(connector) AND source = \(source) AND destination = \(destination)
                AND reference = \(reference) AND total = \(total)
            ORDER BY sequence
            """,
            logger: logger
        )
        var parts: [StoredPart] = []
        for try await (sequence, dataCoding, userData, from, to) in rows.decode(
            (Int16, Int16, ByteBuffer, String?, String?).self
        ) {
            parts.append(StoredPart(sequence: sequence, dataCoding: dataCoding, userData: userData, from: from, to: to))
        }
        return parts
    }

    private static func assemble(
        _ parts: [StoredPart],
        connector: String,
        source: String,
        destination: String,
        reference: Int32,
        total: Int16,
        accountID: UUID?,
        complete: Bool,
        smscDefault: TextEncoding,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> InboundRecord {
        try await connection.query(
            """
            DELETE FROM inbound_parts
            WHERE connector = \(connector) AND source = \(source) AND destination = \(destination)
                AND reference = \(reference) AND total = \(total)
            """,
            logger: logger
        )
        // Parts stored by a version before migration 0010 have no display form.
        return try await self.insertInbound(
            connector: connector,
            from: parts.lazy.compactMap(\.from).first ?? source.smppOctetsReadAsLatin1,
            to: parts.lazy.compactMap(\.to).first ?? destination.smppOctetsReadAsLatin1,
            accountID: accountID,
            parts: parts.map { (DataCoding(rawValue: UInt8(truncatingIfNeeded: $0.dataCoding)), $0.userData.readableBytesView) },
            partCount: Int(total),
            complete: complete,
            smscDefault: smscDefault,
            on: connection,
            logger: logger
        )
    }

    /// Stores the message of `parts` (in order; their user data without UDHs), decoded as
    /// ``ConcatenatedText``: one text when every part is text, else the parts' octets joined.
    private static func insertInbound<Bytes: Collection<UInt8>>(
        connector: String,
        from: String,
        to: String,
        accountID: UUID?,
        parts: [(dataCoding: DataCoding, userData: Bytes)],
        partCount: Int,
        complete: Bool,
        smscDefault: TextEncoding,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> InboundRecord {
        let decoded = ConcatenatedText(parts: parts, smscDefault: smscDefault)
        let (text, dataCoding) = (decoded.text, decoded.dataCoding)
        let record = InboundRecord(
            id: UUID(),
            accountID: accountID,
            connector: connector,
            from: from,
            to: to,
            text: text,
            binaryBody: text == nil ? parts.flatMap(\.userData) : nil,
            dataCoding: Int(dataCoding.rawValue),
            partCount: partCount,
            complete: complete,
            receivedAt: Date()
        )
        try await connection.query(
            """
            INSERT INTO inbound_messages (id, account_id, connector, source, destination, text, binary_body, data_coding,
                part_count, complete, received_at)
            VALUES (\(record.id), \(accountID), \(connector), \(from), \(to), \(text),
                \(record.binaryBody.map { ByteBuffer(bytes: $0) }), \(Int16(dataCoding.rawValue)), \(Int16(partCount)),
                \(complete), \(record.receivedAt))
            """,
            logger: logger
        )
        try await Self.enqueueInboundEvent(record, on: connection, logger: logger)
        return record
    }

    /// A digest of what makes a PDU the same PDU again. It takes the addresses as received, as the
    /// parts' set does (`inbound_parts`' key): the display forms would make a PDU repeated across
    /// an upgrade new, and could set apart two parts that differ only in their TON.
    static func dedupeKey(_ part: IncomingPart) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("\(part.connector)\u{1F}\(part.source)\u{1F}\(part.destination)\u{1F}".utf8))
        if let concatenation = part.concatenation {
            hasher.update(
                data: Data("\(concatenation.reference)/\(concatenation.total)/\(concatenation.sequence)\u{1F}".utf8)
            )
        }
        hasher.update(data: Data([part.dataCoding.rawValue]))
        hasher.update(data: Data(part.userData))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
