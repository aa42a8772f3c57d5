import Crypto
public import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Creates an account and its first API key. The key is returned once; only its hash is kept.
    public func createAccount(name: String, rateLimit: Double? = nil) async throws -> (account: Account, apiKey: String)
    {
        let account = Account(id: UUID(), name: name, createdAt: Date(), rateLimit: rateLimit)
        let (key, info) = Self.newKey(accountID: account.id)
        try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            try await connection.query(
                "INSERT INTO accounts (id, name, created_at, rate_limit) VALUES (\(account.id), \(name), \(account.createdAt), \(rateLimit))",
                logger: self.logger
            )
            try await connection.query(
                """
                INSERT INTO api_keys (id, account_id, prefix, key_hash, created_at)
                VALUES (\(info.id), \(account.id), \(info.prefix), \(Self.hash(key)), \(info.createdAt))
                """,
                logger: self.logger
            )
            try await Self.createWebhookSettings(accountID: account.id, on: connection, logger: self.logger)
        }
        return (account, key)
    }

    /// A new key for an existing account.
    public func createAPIKey(accountID: UUID) async throws -> (info: APIKeyInfo, apiKey: String) {
        let (key, info) = Self.newKey(accountID: accountID)
        try await self.client.query(
            """
            INSERT INTO api_keys (id, account_id, prefix, key_hash, created_at)
            VALUES (\(info.id), \(accountID), \(info.prefix), \(Self.hash(key)), \(info.createdAt))
            """,
            logger: self.logger
        )
        return (info, key)
    }

    public func account(named name: String) async throws -> Account? {
        let rows = try await self.client.query(
            "SELECT id, name, created_at, rate_limit FROM accounts WHERE name = \(name)",
            logger: self.logger
        )
        for try await (id, name, createdAt, rateLimit) in rows.decode((UUID, String, Date, Double?).self) {
            return Account(id: id, name: name, createdAt: createdAt, rateLimit: rateLimit)
        }
        return nil
    }

    public func accounts() async throws -> [Account] {
        let rows = try await self.client.query(
            "SELECT id, name, created_at, rate_limit FROM accounts ORDER BY name",
            logger: self.logger
        )
        var accounts: [Account] = []
        for try await (id, name, createdAt, rateLimit) in rows.decode((UUID, String, Date, Double?).self) {
            accounts.append(Account(id: id, name: name, createdAt: createdAt, rateLimit: rateLimit))
        }
        return accounts
    }

    /// The keys of an account, newest first (prefixes only).
    public func apiKeys(accountID: UUID) async throws -> [APIKeyInfo] {
        let rows = try await self.client.query(
            "SELECT id, prefix, created_at, revoked_at FROM api_keys WHERE account_id = \(accountID) ORDER BY created_at DESC",
            logger: self.logger
        )
        var keys: [APIKeyInfo] = []
        for try await (id, prefix, createdAt, revokedAt) in rows.decode((UUID, String, Date, Date?).self) {
            keys.append(
                APIKeyInfo(id: id, accountID: accountID, prefix: prefix, createdAt: createdAt, revokedAt: revokedAt)
            )
        }
        return keys
    }

    /// Revokes the key with this prefix, unless it was already.
    @discardableResult
    public func revokeAPIKey(prefix: String) async throws -> APIKeyRevocation {
        let rows = try await self.client.query(
            """
            WITH revoked AS (
                UPDATE api_keys SET revoked_at = now() WHERE prefix = \(prefix) AND revoked_at IS NULL RETURNING id
            )
            SELECT EXISTS (SELECT FROM revoked), (SELECT revoked_at FROM api_keys WHERE prefix = \(prefix))
            """,
            logger: self.logger
        )
        // The second column is read from the snapshot before the update: the earlier revocation, if any.
        for try await (revokedNow, revokedBefore) in rows.decode((Bool, Date?).self) {
            if revokedNow { return .revoked }
            if let revokedBefore { return .alreadyRevoked(at: revokedBefore) }
        }
        return .unknown
    }

    /// The account an active key belongs to, or `nil`.
    public func account(forAPIKey key: String) async throws -> Account? {
        guard key.hasPrefix(Self.keyPrefix) else { return nil }
        let rows = try await self.client.query(
            """
            SELECT a.id, a.name, a.created_at, a.rate_limit
            FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.key_hash = \(Self.hash(key)) AND k.revoked_at IS NULL
            """,
            logger: self.logger
        )
        for try await (id, name, createdAt, rateLimit) in rows.decode((UUID, String, Date, Double?).self) {
            return Account(id: id, name: name, createdAt: createdAt, rateLimit: rateLimit)
        }
        return nil
    }

    /// Keys look like `sbk_` + 40 hex characters; the first 12 characters are the listed prefix.
    static let keyPrefix = "sbk_"

    static func newKey(accountID: UUID) -> (key: String, info: APIKeyInfo) {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = keyPrefix + random.map { String(format: "%02x", $0) }.joined()
        let info = APIKeyInfo(
            id: UUID(),
            accountID: accountID,
            prefix: String(key.prefix(12)),
            createdAt: Date(),
            revokedAt: nil
        )
        return (key, info)
    }

    /// SHA-256 of a key, as `bytea`.
    static func hash(_ key: String) -> ByteBuffer {
        ByteBuffer(bytes: SHA256.hash(data: Data(key.utf8)))
    }
}
