public import Foundation
import PostgresNIO

extension PostgresStore {
    /// Forgets idempotency records older than `age` seconds (they answer repeats for 24 hours).
    public func purgeIdempotencyKeys(olderThan age: TimeInterval) async throws {
        try await self.client.query(
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(age))",
            logger: self.logger
        )
    }
}

extension PostgresStore {
    /// The tables the store's prepared statements read (see ``refreshStatistics()``). Receipts and
    /// their unmatched keys are read by plain queries only, planned at each call.
    static let busyTables = ["messages", "message_parts", "message_queue"]

    /// Analyzes each busy table that has at least doubled in size (and fills 4 pages, some
    /// hundred rows, or more) since its statistics were last gathered, while those statistics saw
    /// fewer than `settledPages` pages; returns the tables analyzed.
    ///
    /// The store's hot statements are prepared once per connection, and PostgreSQL then reuses a
    /// generic plan made from the statistics of that moment until they change. Made while a table
    /// was nearly empty, such a plan scans it whole, at a cost that grows with the table, until
    /// autovacuum analyzes it (up to a minute later, or much more for a young table under load). A
    /// fresh `ANALYZE` invalidates those plans, and past their first thousand rows or so the plans
    /// settle on indexes. This runs about six times while a young table grows to `settledPages`
    /// (128 pages, 1 MB: some thousands of messages), then never again: the planner scales the
    /// row counts of statistics that old by the table's current size, its plans stay on indexes,
    /// and autovacuum keeps the statistics current. (Going on doubling cost a burst of up to a
    /// tenth of a second of one core per table each time the sample grew towards its 30 000 rows.)
    ///
    /// Growth is the table's size on disk against the page count its last analysis recorded: both
    /// are current at once, where the server's row counts lag by a second or so — at thousands of
    /// rows a second, long enough for the plans of an empty table to cost seconds of work.
    @discardableResult
    public func refreshStatistics(settledPages: Int = 128) async throws -> [String] {
        let rows = try await self.client.query(
            """
            SELECT relname FROM (
                SELECT c.relname, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int AS pages
                FROM pg_class c
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(\(Self.busyTables))
            ) t
            WHERE pages >= 4 AND pages > 2 * relpages AND relpages < \(settledPages)
            """,
            logger: self.logger
        )
        var grown: [String] = []
        for try await name in rows.decode(String.self) { grown.append(name) }
        for table in grown {
            // The name is one of busyTables, never input.
            try await self.client.query("ANALYZE (SKIP_LOCKED) \(unescaped: table)", logger: self.logger)
        }
        return grown
    }
}
