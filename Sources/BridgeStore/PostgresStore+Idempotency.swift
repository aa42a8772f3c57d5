public import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// The response stored for an idempotency key within the last 24 hours.
    public func idempotencyRecord(accountID: UUID, key: String) async throws -> IdempotencyRecord? {
        let rows = try await self.client.query(
            """
            SELECT endpoint, request_hash, status_code, response FROM idempotency_keys
            WHERE account_id = \(accountID) AND key = \(key) AND created_at > now() - interval '24 hours'
            """,
            logger: self.logger
        )
        for try await (endpoint, hash, status, response) in rows.decode((String?, ByteBuffer, Int16, ByteBuffer).self) {
            return IdempotencyRecord(
                key: key,
                endpoint: endpoint,
                requestHash: Array(hash.readableBytesView),
                statusCode: Int(status),
                response: Array(response.readableBytesView)
            )
        }
        return nil
    }

    /// Runs `change` in a transaction on one connection; when it changed something (a result, not
    /// `nil`) and the request came with an idempotency key, records the request's answer to that
    /// result (`answer`) in the same transaction, so that an answer is recorded if and only if its
    /// change is. `nil` from `change` means it changed nothing: nothing is recorded and the key
    /// stays unused.
    ///
    /// A call its caller gave up on (``withDatabaseDeadline(_:grace:_:)``) changes nothing, even
    /// when its connection comes late.
    ///
    /// - Throws: ``StoreError/idempotencyKeyTaken`` when a request with the same key committed
    ///   first (nothing was changed).
    func change<Result: Sendable>(
        accountID: UUID,
        answer: (@Sendable (Result) throws -> IdempotencyRecord)?,
        _ change: sending @escaping (PostgresConnection) async throws -> Result?
    ) async throws -> Result? {
        do {
            // A watched lease starts nothing for a caller that gave up (see above).
            return try await self.client.withWatchedTransaction(logger: self.logger) { connection in
                guard let result = try await change(connection) else { return nil }
                if let answer {
                    try await self.record(try answer(result), accountID: accountID, on: connection)
                }
                return result
            }
        } catch {
            let inner = Self.underlying(error)
            let taken = (inner as? StoreError) == .idempotencyKeyTaken || Self.sqlState(of: inner) == "23505"
            if answer != nil, taken {
                throw StoreError.idempotencyKeyTaken
            }
            throw error
        }
    }

    /// Stores `record` in the caller's transaction; a record older than 24 hours no longer answers
    /// repeats, so its key is free again and is taken over.
    private func record(_ record: IdempotencyRecord, accountID: UUID, on connection: PostgresConnection) async throws {
        let recorded = try await connection.query(
            """
            INSERT INTO idempotency_keys (account_id, key, endpoint, request_hash, status_code, response)
            VALUES (\(accountID), \(record.key), \(record.endpoint), \(ByteBuffer(bytes: record.requestHash)),
                    \(Int16(record.statusCode)), \(ByteBuffer(bytes: record.response)))
            ON CONFLICT (account_id, key) DO UPDATE SET endpoint = EXCLUDED.endpoint,
                request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code,
                response = EXCLUDED.response, created_at = now()
            WHERE idempotency_keys.created_at <= now() - interval '24 hours'
            RETURNING 1
            """,
            logger: self.logger
        )
        var inserted = false
        for try await _ in recorded { inserted = true }
        guard inserted else { throw StoreError.idempotencyKeyTaken }
    }
}
