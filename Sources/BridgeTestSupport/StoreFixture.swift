public import BridgeStore
import Logging
public import PostgresNIO

/// Runs `body` with a store on a fresh, migrated database of the test cluster.
public func withStore<T>(_ prefix: String = "store", _ body: (PostgresStore) async throws -> T) async throws -> T {
    do {
        return try await _withStore(prefix, body)
    } catch let error as PSQLError {
        // PostgresNIO hides server messages in `description`; tests want them.
        throw DatabaseError(description: String(reflecting: error))
    }
}

/// A database error with the server's message spelled out.
public struct DatabaseError: Error, CustomStringConvertible {
    public var description: String
}

private func _withStore<T>(_ prefix: String, _ body: (PostgresStore) async throws -> T) async throws -> T {
    let logger = {
        var logger = Logger(label: "test-store")
        logger.logLevel = .warning
        return logger
    }()
    let configuration = try await StallWatch.watch("make database \(prefix)") {
        try await TestPostgres.shared.makeDatabase(prefix, template: "smsbridge_migrated") { template in
            // Migrated once per test process; each test gets a copy.
            let client = PostgresClient(configuration: template, backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                try await MigrationRunner.bundled().apply(on: client, logger: logger)
                group.cancelAll()
            }
        }
    }
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    return try await StallWatch.watch("store \(prefix), until its pool has stopped") {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await StallWatch.watch("body with store \(prefix)") {
                try await body(PostgresStore(client: client, logger: logger))
            }
        }
    }
}

extension PostgresClient.Configuration {
    /// The URL of this test database, as a service's configuration would name it.
    public var testURL: String {
        let credentials = self.password.map { "\(self.username):\($0)" } ?? self.username
        return
            "postgres://\(credentials)@\(self.host ?? "127.0.0.1"):\(self.port ?? 5432)/\(self.database ?? "")?sslmode=disable"
    }
}

/// A new, empty database (no migrations applied): its URL.
public func makeEmptyDatabase(_ prefix: String = "empty") async throws -> String {
    try await TestPostgres.shared.makeDatabase(prefix).testURL
}
