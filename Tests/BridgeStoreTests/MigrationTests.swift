import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(1))) struct MigrationTests {
    private let logger = Logger(label: "migration-test")

    private func withClient<T>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(
            configuration: try await TestPostgres.shared.makeDatabase("migrations"),
            backgroundLogger: self.logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    @Test func appliesTheBundledMigrationsOnceInOrder() async throws {
        try await self.withClient { client in
            let runner = try MigrationRunner.bundled()
            #expect(runner.migrations.first?.version == 1)
            let applied = try await runner.apply(on: client, logger: self.logger)
            #expect(applied.map(\.version) == runner.migrations.map(\.version))
            #expect(try await runner.pending(on: client, logger: self.logger).isEmpty)
            #expect(try await runner.apply(on: client, logger: self.logger).isEmpty, "nothing twice")
            let tables = try await client.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('messages', 'message_parts', 'receipts', 'accounts')"
            )
            for try await count in tables.decode(Int.self) { #expect(count == 4) }
        }
    }

    @Test func concurrentInstancesApplyEachMigrationOnce() async throws {
        try await self.withClient { client in
            let runner = try MigrationRunner.bundled()
            let applied = try await withThrowingTaskGroup(of: [Migration].self) { group in
                for _ in 0..<4 { group.addTask { try await runner.apply(on: client, logger: self.logger) } }
                return try await group.reduce(into: [Migration]()) { $0 += $1 }
            }
            #expect(applied.map(\.version).sorted() == runner.migrations.map(\.version))
        }
    }

    @Test func aChangedMigrationIsRefused() async throws {
        try await self.withClient { client in
            let original = Migration(version: 1, name: "one", sql: "CREATE TABLE one (id int)")
            try await MigrationRunner(migrations: [original]).apply(on: client, logger: self.logger)
            let changed = Migration(version: 1, name: "one", sql: "CREATE TABLE one (id bigint)")
            await #expect(throws: MigrationError.modified(version: 1, name: "one")) {
                try await MigrationRunner(migrations: [changed]).apply(on: client, logger: self.logger)
            }
        }
    }

    /// `pending` (readiness, `migrate --dry-run`, `database.migrate: false`) makes the comparison
    /// `apply` makes: a changed file is refused, not reported as current.
    @Test func aChangedMigrationIsNoticedWithoutApplying() async throws {
        try await self.withClient { client in
            let original = Migration(version: 1, name: "one", sql: "CREATE TABLE one (id int)")
            try await MigrationRunner(migrations: [original]).apply(on: client, logger: self.logger)
            let changed = Migration(version: 1, name: "one", sql: "CREATE TABLE one (id bigint)")
            let later = Migration(version: 2, name: "two", sql: "CREATE TABLE two (id int)")
            await #expect(throws: MigrationError.modified(version: 1, name: "one")) {
                try await MigrationRunner(migrations: [changed, later]).pending(on: client, logger: self.logger)
            }
            let unchanged = MigrationRunner(migrations: [original, later])
            #expect(try await unchanged.pending(on: client, logger: self.logger) == [later])
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await self.withClient { client in
            let good = Migration(version: 1, name: "good", sql: "CREATE TABLE good (id int)")
            let bad = Migration(version: 2, name: "bad", sql: "CREATE TABLE half (id int); SELECT no_such_function()")
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(migrations: [good, bad]).apply(on: client, logger: self.logger)
            }
            let pending = try await MigrationRunner(migrations: [good, bad]).pending(on: client, logger: self.logger)
            #expect(pending.map(\.version) == [2])
            let half = try await client.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'"
            )
            for try await count in half.decode(Int.self) { #expect(count == 0, "the failed migration was rolled back") }
        }
    }

    @Test func aDatabaseAheadOfThisBuildIsNoticed() async throws {
        try await self.withClient { client in
            let newer = [
                Migration(version: 1, name: "a", sql: "SELECT 1"), Migration(version: 2, name: "b", sql: "SELECT 1"),
            ]
            try await MigrationRunner(migrations: newer).apply(on: client, logger: self.logger)
            await #expect(throws: MigrationError.unknownApplied(version: 2)) {
                try await MigrationRunner(migrations: [newer[0]]).pending(on: client, logger: self.logger)
            }
            // `smsbridge migrate` with the older build refuses too (it said "up to date").
            await #expect(throws: MigrationError.unknownApplied(version: 2)) {
                try await MigrationRunner(migrations: [newer[0]]).apply(on: client, logger: self.logger)
            }
        }
    }

    @Test func messagesWaitingBeforeTheQueueTableAreInItAfterwards() async throws {
        try await self.withClient { client in
            let all = try MigrationRunner.bundled()
            let queueMigration = try #require(all.migrations.firstIndex { $0.name == "message_queue" })
            try await MigrationRunner(migrations: Array(all.migrations[..<queueMigration]))
                .apply(on: client, logger: self.logger)
            let owner = UUID()
            try await client.query(
                """
                INSERT INTO accounts (id, name) VALUES ('00000000-0000-0000-0000-0000000000aa', 'old');
                """
            )
            // One message in each state, as the old schema held them.
            for (index, status) in ["queued", "scheduled", "sending", "sent", "delivered"].enumerated() {
                try await client.query(
                    """
                    INSERT INTO messages (id, account_id, status, destination, source, encoding, part_count,
                        request_receipt, connector, priority, next_attempt_at, lease_owner, lease_expires_at)
                    VALUES (\(UUID(uuidString: "00000000-0000-0000-0000-00000000000\(index)")!),
                        '00000000-0000-0000-0000-0000000000aa', \(status)::message_status, '447700900123', 'Shop',
                        'gsm7', 1, true, 'main', \(Int16(index == 1 ? 1 : 0)),
                        now() + \(status == "scheduled" ? "1 hour" : "0 seconds")::interval,
                        \(status == "sending" ? owner : nil), now() + interval '2 minutes')
                    """
                )
            }
            try await all.apply(on: client, logger: self.logger)
            let rows = try await client.query(
                """
                SELECT message_id, connector, priority, scheduled, lease_owner, lease_expires_at IS NOT NULL,
                    next_attempt_at > now() + interval '30 minutes'
                FROM message_queue ORDER BY message_id
                """
            )
            var queue: [(UUID, String, Int16, Bool, UUID?, Bool, Bool)] = []
            for try await row in rows.decode((UUID, String, Int16, Bool, UUID?, Bool, Bool).self) { queue.append(row) }
            #expect(queue.map { String($0.0.uuidString.suffix(1)) } == ["0", "1", "2"], "queued, scheduled and sending; not the others")
            #expect(queue.allSatisfy { $0.1 == "main" })
            #expect(queue.map(\.2) == [0, 1, 0])
            #expect(queue.map(\.3) == [false, true, false])
            #expect(queue.map(\.4) == [nil, nil, owner])
            #expect(queue.map(\.5) == [false, false, true])
            #expect(queue.map(\.6) == [false, true, false], "the scheduled one keeps its time")
        }
    }

    @Test func aMigrationThatNeedsEveryInstanceStoppedWaitsForThem() async throws {
        try await self.withClient { client in
            let all = try MigrationRunner.bundled()
            let exclusive = try #require(all.migrations.first { $0.needsStoppedInstances })
            let before = all.migrations.filter { $0.version < exclusive.version }
            try await MigrationRunner(migrations: before).apply(on: client, logger: self.logger)
            // An instance of the previous version, alive.
            let instance = UUID()
            try await client.query(
                "INSERT INTO instances (id, started_at, heartbeat_at) VALUES (\(instance), now(), now())"
            )
            await #expect(
                throws: MigrationError.instancesRunning(version: exclusive.version, name: exclusive.name, count: 1)
            ) {
                try await all.apply(on: client, logger: self.logger)
            }
            #expect(try await all.pending(on: client, logger: self.logger).first == exclusive, "nothing of it applied")

            // Killed more than a minute ago (one that stops gracefully removes itself).
            try await client.query(
                "UPDATE instances SET heartbeat_at = now() - interval '2 minutes' WHERE id = \(instance)"
            )
            let applied = try await all.apply(on: client, logger: self.logger)
            #expect(applied.first == exclusive)
        }
    }

    @Test func onlyMarkedMigrationsWaitForInstances() throws {
        let bundled = try MigrationRunner.bundled().migrations
        #expect(bundled.filter(\.needsStoppedInstances).map(\.name) == ["message_queue"])
        #expect(bundled.filter(\.runsOutsideTransaction).isEmpty)
    }

    /// A table of numbers, `x` from 1 to `count` (and `duplicate` once more), as a first migration.
    private func numbers(_ table: String, count: Int, duplicate: Int? = nil) -> Migration {
        let twice = duplicate.map { "; INSERT INTO \(table) VALUES (\($0))" } ?? ""
        return Migration(
            version: 1,
            name: table,
            sql: "CREATE TABLE \(table) (x int); INSERT INTO \(table) SELECT generate_series(1, \(count))\(twice)"
        )
    }

    /// The indexes of the test's table `numbers` and whether each is valid.
    private func indexes(_ client: PostgresClient) async throws -> [String: Bool] {
        var indexes: [String: Bool] = [:]
        let rows = try await client.query(
            """
            SELECT c.relname::text, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'numbers'::regclass
            """
        )
        for try await (name, valid) in rows.decode((String, Bool).self) { indexes[name] = valid }
        return indexes
    }

    /// `-- smsbridge: no transaction` runs each statement on its own: `CREATE INDEX CONCURRENTLY`,
    /// which PostgreSQL refuses inside a transaction block, builds its index.
    @Test func aMigrationMarkedSoRunsOutsideATransaction() async throws {
        try await self.withClient { (client: PostgresClient) async throws in
            let concurrent = self.outsideTransaction(
                "DROP INDEX CONCURRENTLY IF EXISTS numbers_x; CREATE INDEX CONCURRENTLY numbers_x ON numbers (x)"
            )
            #expect(concurrent.runsOutsideTransaction)
            let runner = MigrationRunner(migrations: [self.numbers("numbers", count: 1000), concurrent])
            #expect(try await runner.apply(on: client, logger: self.logger).map(\.version) == [1, 2])
            #expect(try await runner.pending(on: client, logger: self.logger).isEmpty)
            #expect(try await self.indexes(client) == ["numbers_x": true])

            let unmarked = Migration(version: 3, name: "unmarked", sql: "CREATE INDEX CONCURRENTLY other_x ON numbers (x)")
            #expect(!unmarked.runsOutsideTransaction)
            // PostgreSQL refuses it inside a transaction block.
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(migrations: runner.migrations + [unmarked]).apply(on: client, logger: self.logger)
            }
            #expect(try await self.indexes(client) == ["numbers_x": true], "the refused build left nothing")
        }
    }

    /// An instance that waits for the migration lock while another builds an index concurrently:
    /// the build waits for every older snapshot to end, and a statement waiting in
    /// `pg_advisory_lock` holds one — the two would wait for each other (PostgreSQL reports a
    /// deadlock after a second). The runner asks for the lock again and again instead, idle between.
    @Test func anInstanceWaitingForTheLockDoesNotHoldUpAConcurrentBuild() async throws {
        try await self.withClient { client in
            let runner = MigrationRunner(migrations: [
                self.numbers("numbers", count: 10_000),
                self.outsideTransaction(
                    "DROP INDEX CONCURRENTLY IF EXISTS numbers_x; CREATE INDEX CONCURRENTLY numbers_x ON numbers (x)"
                ),
            ])
            let applied = try await client.withConnection { holder in
                // Both runners wait for the lock the test holds, then one migrates while the other waits.
                for try await _ in try await holder.query(
                    "SELECT pg_advisory_lock(\(MigrationRunner.lockKey))",
                    logger: self.logger
                ) {}
                let runners = (0..<2).map { _ in Task { try await runner.apply(on: client, logger: self.logger) } }
                var asking = 0
                let deadline = ContinuousClock.now + .seconds(20)
                while asking < 2 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    let rows = try await holder.query(
                        """
                        SELECT count(*)::int8 FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%advisory_lock(%'
                        """,
                        logger: self.logger
                    )
                    for try await count in rows.decode(Int64.self) { asking = Int(count) }
                }
                #expect(asking == 2)
                try await holder.query("SELECT pg_advisory_unlock(\(MigrationRunner.lockKey))", logger: self.logger)
                var applied: [Int] = []
                for task in runners { applied += try await task.value.map(\.version) }
                return applied
            }
            #expect(applied.sorted() == [1, 2], "each applied once")
            #expect(try await self.indexes(client) == ["numbers_x": true])
        }
    }

    /// A concurrent build that fails leaves an invalid index and the migration unrecorded; written
    /// to be repeated (drop, then build), it builds the index again on the next attempt.
    @Test func aFailedConcurrentBuildIsBuiltAgainNextTime() async throws {
        try await self.withClient { client in
            let runner = MigrationRunner(migrations: [
                self.numbers("numbers", count: 100, duplicate: 7),
                self.outsideTransaction(
                    "DROP INDEX CONCURRENTLY IF EXISTS numbers_x; CREATE UNIQUE INDEX CONCURRENTLY numbers_x ON numbers (x)"
                ),
            ])
            await #expect(throws: (any Error).self, "7 twice") { try await runner.apply(on: client, logger: self.logger) }
            #expect(try await runner.pending(on: client, logger: self.logger).map(\.version) == [2])
            #expect(try await self.indexes(client) == ["numbers_x": false])

            try await client.query("DELETE FROM numbers WHERE x = 7")
            #expect(try await runner.apply(on: client, logger: self.logger).map(\.version) == [2])
            #expect(try await self.indexes(client) == ["numbers_x": true])
        }
    }

    /// A migration that leaves an invalid index behind — here `IF NOT EXISTS` skips the remains of
    /// a failed build — is not recorded, and the error names the index.
    @Test func anInvalidIndexLeftBehindIsNotRecorded() async throws {
        try await self.withClient { client in
            let runner = MigrationRunner(migrations: [
                self.numbers("numbers", count: 100, duplicate: 7),
                self.outsideTransaction("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS numbers_x ON numbers (x)"),
            ])
            await #expect(throws: (any Error).self, "7 twice") { try await runner.apply(on: client, logger: self.logger) }
            try await client.query("DELETE FROM numbers WHERE x = 7")
            await #expect(throws: MigrationError.invalidIndexes(version: 2, name: "index", indexes: ["numbers_x"])) {
                try await runner.apply(on: client, logger: self.logger)
            }
            #expect(try await runner.pending(on: client, logger: self.logger).map(\.version) == [2])
        }
    }

    /// The second migration, marked to run outside a transaction.
    private func outsideTransaction(_ statements: String) -> Migration {
        Migration(version: 2, name: "index", sql: "-- smsbridge: no transaction\n\(statements);")
    }
}
