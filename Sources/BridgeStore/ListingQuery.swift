import Foundation
import PostgresNIO

/// An account's rows, newest first, filtered and after a cursor: the SQL of every listing.
struct ListingQuery {
    private var sql: String
    private var bindings = PostgresBindings()

    /// `SELECT columns FROM table WHERE account_id = …`.
    init(columns: String, table: String, accountID: UUID) {
        self.sql = "SELECT \(columns) FROM \(table) WHERE account_id = $1"
        self.bindings.append(accountID)
    }

    /// Adds `AND condition`, where `condition` is given the value's placeholder (`$3`).
    mutating func add(_ condition: (String) -> String, _ value: some PostgresNonThrowingEncodable & Sendable) {
        self.bindings.append(value)
        self.sql += " AND " + condition("$\(self.bindings.count)")
    }

    /// The query for rows after `cursor`, at most `limit` (1…1000) of them.
    func query(after cursor: ListCursor?, limit: Int) -> PostgresQuery {
        var sql = self.sql
        var bindings = self.bindings
        if let cursor {
            // The cursor's time as microseconds, not a Date: PostgresNIO cuts a Date to
            // microseconds, and a Double a hair under one came out a microsecond early — then the
            // rows sharing the last row's time (one transaction's) were skipped.
            bindings.append(cursor.microseconds)
            bindings.append(cursor.id)
            sql += " AND (created_at, id) < ('epoch'::timestamptz + $\(bindings.count - 1) * interval '1 microsecond', $\(bindings.count))"
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT \(max(1, min(limit, 1000)))"
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
