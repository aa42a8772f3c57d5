import NIOCore
import NIOPosix
import PostgresNIO

/// An error from a database call in a few words, for a log line: PostgreSQL's own errors as their
/// SQLSTATE and the server's message (`57P01: terminating connection due to administrator
/// command`), connection failures as what the network said (`connection refused (127.0.0.1:5432)`,
/// `the server closed the connection`), a transaction's error with the step that failed, and not
/// the statement: PSQLError's description is only a placeholder, and its reflection a dump of every
/// field and the statement (its bound values masked). A server's message may quote a value it
/// refused. Other errors as they describe themselves.
public func describeDatabaseError(_ error: any Error) -> String {
    switch error {
    case let error as PostgresTransactionError:
        var parts: [String] = []
        if let begin = error.beginError { parts.append("BEGIN: \(describeDatabaseError(begin))") }
        if let statement = error.closureError { parts.append(describeDatabaseError(statement)) }
        if let commit = error.commitError { parts.append("COMMIT: \(describeDatabaseError(commit))") }
        if let rollback = error.rollbackError { parts.append("ROLLBACK: \(describeDatabaseError(rollback))") }
        return parts.isEmpty ? "the transaction failed" : parts.joined(separator: "; ")
    case let error as PSQLError:
        if let message = error.serverInfo?[.message] {
            return error.serverInfo?[.sqlState].map { "\($0): \(message)" } ?? message
        }
        return DatabaseURL.reason(error, at: "the database")
    case is NIOConnectionError, is IOError, is ChannelError:
        return DatabaseURL.reason(error, at: "the database")
    default:
        return "\(error)"
    }
}
