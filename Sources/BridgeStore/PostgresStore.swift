import Foundation
public import Logging
public import PostgresNIO

/// SMSBridge's repositories on PostgreSQL: accounts and keys, messages, receipts, inbound messages,
/// idempotency records, dispatch claims and leases.
public final class PostgresStore: Sendable {
    public let client: PostgresClient
    let logger: Logger
    private let queueSignal = QueueSignal()
    let inserts = InsertCombiner()

    /// The channel `NOTIFY`-ed when messages become due, so dispatchers wake at once.
    public static let queuedChannel = "smsbridge_queued"

    /// Settings sent when each connection starts. `jit=off`: the store's statements are short, and
    /// a planner whose estimates run high (a table that grew since its last analyze) otherwise
    /// compiles them first — measured at 40 ms added to a receipt sweep of a few rows.
    /// `plan_cache_mode=force_generic_plan`: the store's prepared statements are planned once per
    /// connection. PostgreSQL's default plans them again at each call whenever the generic plan's
    /// estimate (ten rows per array) is dearer than a plan for the call's actual few rows — every
    /// call when messages come one at a time, where planning was 40 % of PostgreSQL's time. The
    /// generic plans follow the tables' growth through ``refreshStatistics()``. Plain queries with
    /// parameters get a generic plan too, but made afresh at each call, from the statistics of
    /// that moment.
    public static let sessionParameters: [(String, String)] = [
        ("jit", "off"), ("plan_cache_mode", "force_generic_plan"),
    ]

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Wakes the dispatchers: messages were queued (see ``QueueSignal``).
    func signalQueued() {
        let client = self.client
        let logger = self.logger
        self.queueSignal.signal {
            // Lost, it costs only latency: the dispatchers also poll.
            try? await client.queryDiscardingRows("SELECT pg_notify(\(Self.queuedChannel), '')", logger: logger)
        }
    }
}

extension PostgresStore {
    /// The SQLSTATE code of a server error (also inside a failed transaction), e.g. `23505` for a
    /// unique violation.
    /// The error a transaction's body or commit threw, without PostgresNIO's wrapper.
    static func underlying(_ error: any Error) -> any Error {
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
            return inner
        }
        return error
    }

    static func sqlState(of error: any Error) -> String? {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] }
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.commitError {
            return self.sqlState(of: inner)
        }
        return nil
    }
}

/// A prepared statement whose one parameter, `$1`, is a list of message ids.
protocol MessageIDsStatement: PostgresPreparedStatement {
    var messageIDs: [UUID] { get }
}

extension MessageIDsStatement {
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(self.messageIDs)
        return bindings
    }
}
