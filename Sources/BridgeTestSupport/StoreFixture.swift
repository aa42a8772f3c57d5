public import BridgeStore
import Logging
import PostgresNIO

/// Runs `body` with a store on a fresh, migrated database of the test cluster.
public func withStore<T>(_ prefix: String = "store", _ body: (PostgresStore) async throws -> T) async throws -> T {
    var logger = Logger(label: "test-store")
    logger.logLevel = .warning
    let configuration = try await TestPostgres.shared.makeDatabase(prefix)
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await MigrationRunner.bundled().apply(on: client, logger: logger)
        return try await body(PostgresStore(client: client, logger: logger))
    }
}
