import BridgeStore
import Logging
import NIOCore
import PostgresNIO

/// Runs the API's database calls with a deadline and turns "the database cannot be reached" into
/// a `503` problem with `Retry-After`, never a `500`.
///
/// A call that has not got a connection when the deadline passes is canceled (PostgresNIO's pool
/// drops the waiting request, so nothing was executed) and reported as unavailable. A call that
/// already runs is waited for: if it then succeeds, its result counts, so a `503` always means
/// "nothing was done".
public struct DatabaseGate: Sendable {
    var timeout: Duration
    /// Seconds for `Retry-After`.
    var retryAfter: Int

    func run<T: Sendable>(
        _ logger: Logger,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            return try await withDatabaseDeadline(self.timeout, operation)
        } catch let error where Self.isUnavailable(error) {
            logger.warning("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            throw APIProblem(
                .databaseUnavailable,
                detail: "the database cannot be reached; nothing was stored",
                retryAfter: self.retryAfter
            )
        }
    }

    /// Whether an error from a database call means the database cannot be reached or cannot take
    /// work now (rather than a bug in a query or a store rule).
    static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is DatabaseDeadlineExceeded:
            return true
        case is StoreError, is APIProblem, is CancellationError:
            return false
        case let error as PostgresTransactionError:
            return [error.beginError, error.closureError, error.commitError].contains { $0.map(isUnavailable) ?? false }
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
                .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest,
                .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError, .queryCancelled:
                return true
            case .server:
                // Connection exceptions, insufficient resources, operator intervention, refused
                // logins and missing databases.
                let state = error.serverInfo?[.sqlState] ?? ""
                return ["08", "53", "57", "28", "3D"].contains { state.hasPrefix($0) }
            default:
                return false
            }
        default:
            // Connection-pool errors (the pool gave up connecting), NIO connection and channel errors.
            return !(error is DecodingError || error is EncodingError)
        }
    }
}
