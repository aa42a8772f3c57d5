import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a statement that returns rows nobody needs (`SELECT pg_advisory_lock(…)`, `SELECT …
    /// FOR UPDATE`, `SELECT pg_notify(…)`) to its end. `query` returns once the rows are described,
    /// before the statement has run: a lock it takes is held, and its error thrown, only once its
    /// rows are read — and on a connection that ends while rows are left unread, the next query (a
    /// `ROLLBACK` included) waits for ever (PostgresNIO 1.33).
    func queryDiscardingRows(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PostgresClient {
    /// ``PostgresNIO/PostgresConnection/queryDiscardingRows(_:logger:)`` on a connection of the pool.
    func queryDiscardingRows(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
