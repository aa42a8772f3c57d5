public import BridgeStore
public import Logging
public import PostgresNIO

extension MigrationRunner {
    /// What `smsbridge serve` and the commands that use the database do before anything else, as
    /// `database.migrate` says: apply the pending migrations (`true`), or check that none is pending
    /// (`false`). Either way a database migrated by a newer build is refused. Returns the migrations
    /// applied now.
    ///
    /// - Throws: ``BridgeConfigurationError`` naming `database.migrate` when it is false and
    ///   migrations are pending; ``MigrationError`` when the database is ahead of this build or an
    ///   applied migration was changed; the database's errors.
    @discardableResult
    public func prepare(migrate: Bool, on client: PostgresClient, logger: Logger) async throws -> [Migration] {
        let applied = migrate ? try await self.apply(on: client, logger: logger) : []
        let pending = try await self.pending(on: client, logger: logger)
        guard pending.isEmpty else {
            throw BridgeConfigurationError(
                key: "database.migrate",
                problem: "is false and \(pending.count) migrations are pending: run `smsbridge migrate`"
            )
        }
        return applied
    }
}
