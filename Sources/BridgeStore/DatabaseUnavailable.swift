import PostgresNIO

/// Whether an error from a database call means the database cannot be reached or cannot take work
/// now (rather than a bug in a query, a store rule, or data the database refuses): the same call
/// may well succeed later, and nothing was done.
///
/// Unknown error types count as unavailable — connection-pool errors (the pool gave up connecting),
/// NIO connection and channel errors —, except decoding and encoding errors and migration
/// refusals (ours).
public func isDatabaseUnavailable(_ error: any Error) -> Bool {
    switch error {
    case is DatabaseDeadlineExceeded, is DatabaseAway:
        return true
    case is StoreError, is MigrationError, is CancellationError, is DecodingError, is EncodingError:
        return false
    case let error as PostgresTransactionError:
        return [error.beginError, error.closureError, error.commitError].contains {
            $0.map(isDatabaseUnavailable) ?? false
        }
    case let error as PSQLError:
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
            .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest,
            .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError, .queryCancelled:
            return true
        case .server:
            // Connection exceptions, insufficient resources, operator intervention, refused logins
            // and missing databases.
            let state = error.serverInfo?[.sqlState] ?? ""
            return ["08", "53", "57", "28", "3D"].contains { state.hasPrefix($0) }
        default:
            return false
        }
    default:
        return true
    }
}
