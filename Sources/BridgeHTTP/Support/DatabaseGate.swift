import BridgeStore
public import Logging
import NIOCore

/// Runs the API's database calls with a deadline and turns "the database cannot be reached" into
/// a `503` problem with `Retry-After`, never a `500`.
///
/// A call that has not got a connection when the deadline passes is canceled (PostgresNIO's pool
/// drops the waiting request, so nothing was executed) and reported as unavailable. A call that
/// already runs is waited for: if it then succeeds, its result counts, so a `503` always means
/// "nothing was done". Once a call found the database unavailable, the others get their `503` at
/// once while one call at a time tries it (``DatabaseAvailability``): clients are not held for the
/// deadline each, nor their connections.
///
/// The admin API of `BridgeService` uses it too, so that its calls answer the same problem.
public struct DatabaseGate: Sendable {
    /// Seconds for `Retry-After`.
    var retryAfter: Int
    private let availability: DatabaseAvailability

    /// The deadline of each call.
    var timeout: Duration { self.availability.timeout }

    /// - Parameters:
    ///   - timeout: the deadline of each call (``BridgeAPI/Configuration/databaseTimeout``).
    ///   - retryAfter: seconds for `Retry-After` (``BridgeAPI/Configuration/databaseRetryAfter``).
    ///   - logger: where the database going away and coming back is logged (once each).
    public init(timeout: Duration, retryAfter: Int, logger: Logger = Logger(label: "smsbridge.database")) {
        self.retryAfter = retryAfter
        self.availability = DatabaseAvailability(timeout: timeout, logger: logger)
    }

    /// Runs `operation` with the deadline; when the database cannot be reached, throws the `503`
    /// ``APIProblem`` `database-unavailable` with `Retry-After`. Other errors are thrown as they are.
    public func run<T: Sendable>(
        _ logger: Logger,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            return try await self.availability.run(operation)
        } catch let error where Self.isUnavailable(error) {
            logger.debug("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            throw APIProblem(
                .databaseUnavailable,
                detail: "the database cannot be reached; nothing was stored",
                retryAfter: self.retryAfter
            )
        }
    }

    /// Whether an error from a database call means the database cannot be reached or cannot take
    /// work now (``isDatabaseUnavailable(_:)``); a problem of the API's own never does.
    static func isUnavailable(_ error: any Error) -> Bool {
        !(error is APIProblem) && isDatabaseUnavailable(error)
    }
}
