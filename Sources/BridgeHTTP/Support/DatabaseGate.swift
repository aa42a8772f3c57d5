import BridgeStore
public import Logging
import NIOCore

/// Runs the API's database calls with a deadline and turns "the database cannot be reached" into
/// a `503` problem with `Retry-After`, never a `500`.
///
/// A call that has not got a connection when the deadline passes is canceled (PostgresNIO's pool
/// drops the waiting request, so nothing was executed) and reported as unavailable. A call that
/// already runs is waited for: if it then succeeds, its result counts, so a `503` always means
/// "nothing was done".
///
/// The admin API of `BridgeService` uses it too, so that its calls answer the same problem.
public struct DatabaseGate: Sendable {
    var timeout: Duration
    /// Seconds for `Retry-After`.
    var retryAfter: Int

    /// - Parameters:
    ///   - timeout: the deadline of each call (``BridgeAPI/Configuration/databaseTimeout``).
    ///   - retryAfter: seconds for `Retry-After` (``BridgeAPI/Configuration/databaseRetryAfter``).
    public init(timeout: Duration, retryAfter: Int) {
        self.timeout = timeout
        self.retryAfter = retryAfter
    }

    /// Runs `operation` with the deadline; when the database cannot be reached, throws the `503`
    /// ``APIProblem`` `database-unavailable` with `Retry-After`. Other errors are thrown as they are.
    public func run<T: Sendable>(
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
    /// work now (``isDatabaseUnavailable(_:)``); a problem of the API's own never does.
    static func isUnavailable(_ error: any Error) -> Bool {
        !(error is APIProblem) && isDatabaseUnavailable(error)
    }
}
