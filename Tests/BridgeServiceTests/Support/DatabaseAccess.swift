import BridgeStore
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
