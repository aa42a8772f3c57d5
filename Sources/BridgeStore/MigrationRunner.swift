public import Logging
public import PostgresNIO

/// Applies migrations in order, each in its own transaction (or, marked so, statement by statement:
/// ``Migration/runsOutsideTransaction``), recording them in `schema_migrations`. Safe to run from
/// several instances at once: a PostgreSQL advisory lock serialises them.
public struct MigrationRunner: Sendable {
    public let migrations: [Migration]

    /// The advisory lock key ("SMSBridg").
    public static let lockKey: Int64 = 0x534D_5342_7269_6467

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// The runner for the migrations shipped with this build.
    public static func bundled() throws -> MigrationRunner {
        MigrationRunner(migrations: try Migration.bundled())
    }

    /// Applies what is missing and returns what was applied now.
    ///
    /// While another instance holds the migration lock, this one asks for it again and again (50 ms
    /// to 1 s apart), holding no connection in between, rather than waiting in `pg_advisory_lock`:
    /// a statement that waits holds a snapshot, and `CREATE INDEX CONCURRENTLY` in the instance
    /// that has the lock waits for every older snapshot to end — each would wait for the other.
    @discardableResult
    public func apply(on client: PostgresClient, logger: Logger) async throws -> [Migration] {
        var delay: Duration = .milliseconds(50)
        var waiting = false
        while true {
            let applied: [Migration]? = try await client.withWatchedConnection { connection in
                var locked = false
                let rows = try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: logger)
                for try await taken in rows.decode(Bool.self) { locked = taken }
                guard locked else { return nil }
                do {
                    let applied = try await self.apply(on: connection, logger: logger)
                    try await connection.queryDiscardingRows("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    return applied
                } catch {
                    // On a session that ended this fails at once: the lock ended with it.
                    try? await connection.queryDiscardingRows("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    throw error
                }
            }
            if let applied { return applied }
            if !waiting {
                logger.info("waiting for the migration lock: another instance is applying migrations")
                waiting = true
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }

    private func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        // A database migrated by a newer build, or whose applied migrations this build's files no
        // longer match, is refused here too, as `pending` and readiness do: a deploy's migrate step
        // run with an old binary must not pass.
        let pending = try self.pending(applied: try await self.applied(on: connection, logger: logger))
        var appliedNow: [Migration] = []
        for migration in pending {
            if migration.needsStoppedInstances {
                let running = try await self.runningInstances(on: connection, logger: logger)
                guard running == 0 else {
                    throw MigrationError.instancesRunning(
                        version: migration.version,
                        name: migration.name,
                        count: running
                    )
                }
            }
            logger.info(
                "applying migration",
                metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"]
            )
            let statements = SQLScript.statements(migration.sql)
            if migration.runsOutsideTransaction {
                // Each statement on its own, then the record — once no index is left invalid.
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let invalid = try await self.invalidIndexes(on: connection, logger: logger)
                guard invalid.isEmpty else {
                    throw MigrationError.invalidIndexes(version: migration.version, name: migration.name, indexes: invalid)
                }
                try await self.record(migration, on: connection, logger: logger)
            } else {
                // One transaction per migration: its statements, then its record.
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await self.record(migration, on: connection, logger: logger)
                }
            }
            appliedNow.append(migration)
        }
        return appliedNow
    }

    private func record(_ migration: Migration, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
            logger: logger
        )
    }

    /// The schema's indexes that are not valid: what a failed `CREATE INDEX CONCURRENTLY` leaves.
    private func invalidIndexes(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var names: [String] = []
        let rows = try await connection.query(
            """
            SELECT c.relname::text FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND n.nspname = current_schema()
            ORDER BY 1
            """,
            logger: logger
        )
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// Instances that heart-beat within the last minute (none before the `instances` table exists).
    /// One that stopped gracefully has removed itself; one that was killed counts for a minute.
    private func runningInstances(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        // Two statements: a query naming a table that does not exist fails at parse time.
        var exists = false
        for try await present in try await connection.query(
            "SELECT to_regclass('instances') IS NOT NULL",
            logger: logger
        ).decode(Bool.self) { exists = present }
        guard exists else { return 0 }
        let rows = try await connection.query(
            "SELECT count(*)::int8 FROM instances WHERE heartbeat_at > now() - interval '1 minute'",
            logger: logger
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    private func applied(on connection: PostgresConnection, logger: Logger) async throws -> [Int: String] {
        var applied: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int, String).self) { applied[version] = checksum }
        return applied
    }

    /// Migrations not applied yet (for readiness checks), in order.
    ///
    /// - Throws: ``MigrationError/unknownApplied(version:)`` when the database has a migration this
    ///   build does not know (it is ahead), ``MigrationError/modified(version:name:)`` when an
    ///   applied migration's checksum differs from this build's file; the database's errors.
    public func pending(on client: PostgresClient, logger: Logger) async throws -> [Migration] {
        let applied: [Int: String]
        do {
            applied = try await client.withWatchedConnection { try await self.applied(on: $0, logger: logger) }
        } catch  where PostgresStore.sqlState(of: error) == "42P01" {
            return self.migrations  // no schema_migrations table yet
        }
        return try self.pending(applied: applied)
    }

    /// This build's migrations missing from `applied` (version → checksum, as `schema_migrations`
    /// records them), in order: the one comparison `apply` and `pending` make.
    func pending(applied: [Int: String]) throws(MigrationError) -> [Migration] {
        let known = Set(self.migrations.map(\.version))
        if let unknown = Set(applied.keys).subtracting(known).min() { throw .unknownApplied(version: unknown) }
        var pending: [Migration] = []
        for migration in self.migrations {
            guard let checksum = applied[migration.version] else {
                pending.append(migration)
                continue
            }
            guard checksum == migration.checksum else {
                throw .modified(version: migration.version, name: migration.name)
            }
        }
        return pending
    }
}
