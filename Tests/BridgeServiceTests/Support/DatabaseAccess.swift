import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import PostgresNIO

/// Runs `body` with a store of its own on the database at `url`: another connection pool, as
/// another instance or an operator's tool has (nothing it does wakes the server in-process).
@discardableResult
func withDatabase<T>(_ url: String, _ body: (PostgresStore) async throws -> T) async throws -> T {
    let logger = quietLogger("database")
    let client = PostgresClient(configuration: try DatabaseURL(url).clientConfiguration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(PostgresStore(client: client, logger: logger))
    }
}

extension PostgresStore {
    /// Runs one statement of a test's own, draining its rows; returns the first column of the first row as text.
    @discardableResult
    func execute(_ sql: String) async throws -> String? {
        var first: String?
        for try await row in try await self.client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger("sql")) {
            if first == nil { first = try? row.decode(String?.self) }
        }
        return first
    }
}

/// Runs `body` while the test database `name` is away: it refuses new connections and those open
/// are ended, as when its server stops. Connections are let in again after `body`, however it ends.
@discardableResult
func whileDatabaseAway<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
    try await TestPostgres.shared.administer(#"ALTER DATABASE "\#(name)" ALLOW_CONNECTIONS false"#)
    let result: Result<T, any Error>
    do {
        // Rounds until two in a row find no connection left (at least three, at most about 15 s):
        // a connection that was starting when the database stopped taking them is listed only
        // once it has started, which takes longer on a loaded machine — one left alive would
        // serve the bridge as if nothing had happened. `body` starts once the pools have seen
        // their connections end: a statement sent on one still closing fails at once, not as on
        // a database that is away.
        var round = 0
        var quietRounds = 0
        while round < 3 || (quietRounds < 2 && round < 40) {
            let ended = try await TestPostgres.shared.administer(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'"
            )
            quietRounds = ended == 0 ? quietRounds + 1 : 0
            round += 1
            try await Task.sleep(for: .milliseconds(350))
        }
        if quietRounds < 2 { throw HarnessError(description: "connections to \(name) kept coming back") }
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    try await TestPostgres.shared.administer(#"ALTER DATABASE "\#(name)" ALLOW_CONNECTIONS true"#)
    return try result.get()
}

/// The name of the database in a `postgres://` URL.
func databaseName(_ url: String) throws -> String {
    guard let name = url.split(separator: "/").last?.split(separator: "?").first else {
        throw HarnessError(description: "no database name in \(url)")
    }
    return String(name)
}

extension PostgresStore {
    /// The name of the store's database.
    func databaseName() async throws -> String {
        guard let name = try await self.execute("SELECT current_database()") else {
            throw HarnessError(description: "no current database")
        }
        return name
    }
}

/// Runs a service (`run`) while `table` is locked against claims (plain reads still pass), cancels
/// its task once one of its statements waits for the lock — a shutdown past its deadline, in the
/// middle of a claim — and returns when the service has ended.
func cancelWhileClaiming(
    _ table: String,
    in store: PostgresStore,
    _ run: @escaping @Sendable () async throws -> Void
) async throws {
    let logger = quietLogger("lock")
    try await store.client.withConnection { holder in
        try await holder.query("BEGIN", logger: logger)
        try await holder.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN EXCLUSIVE MODE"), logger: logger)
        let running = Task { try await run() }
        let waited: Result<Void, any Error>
        do {
            try await waitUntil("a statement waits for the lock on \(table)") {
                try await store.execute(
                    """
                    SELECT count(*)::text FROM pg_locks
                    WHERE NOT granted AND relation = '\(table)'::regclass
                        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """
                ) != "0"
            }
            waited = .success(())
        } catch {
            waited = .failure(error)
        }
        running.cancel()
        _ = await running.result
        try await holder.query("ROLLBACK", logger: logger)
        try waited.get()
    }
}
