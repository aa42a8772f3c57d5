import PostgresNIO

/// Whether the database refused a statement for the data it was given (SQLSTATE classes 22 data
/// exception, 23 integrity constraint violation, P0 raised by a function), not because it is away
/// or busy: the same statement with the same data would fail again, so trying it again only holds
/// up what comes after it.
func isRefusedForItsContent(_ error: any Error) -> Bool {
    let error = (error as? PostgresTransactionError).flatMap { $0.closureError ?? $0.commitError } ?? error
    guard let error = error as? PSQLError, error.code == .server else { return false }
    let state = error.serverInfo?[.sqlState] ?? ""
    return ["22", "23", "P0"].contains { state.hasPrefix($0) }
}
