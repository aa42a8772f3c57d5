import BridgeCore
import BridgeStore
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime

/// The handlers of every operation of `openapi/openapi.yaml` (the generated `APIProtocol`), over a
/// repository. The middleware has authenticated the account, limited the body and settled
/// idempotent replays before a handler runs; handlers read the account from the request context.
struct APIController<Repository: APIRepository>: APIProtocol {
    var repository: Repository
    var validator: MessageValidator
    var admission: Admission<Repository>
    var database: DatabaseGate
    /// The default overlap of a webhook secret rotation.
    var secretRotationOverlap: Duration = .seconds(86_400)
    /// This instance's dispatcher, which sends what the API accepts without a trip through the queue.
    var handoff: (any DispatchHandoff)? = nil

    /// The largest batch. Also the schema's `maxItems`.
    static var maximumBatchSize: Int { 1000 }
    /// The page size of listings without `limit`, and the largest allowed.
    static var defaultPageSize: Int { 50 }
    static var maximumPageSize: Int { 500 }

    /// Registers the operations on `routes`, with the API's JSON settings.
    func addRoutes(to routes: RouterGroup<APIRequestContext>) throws {
        try self.registerHandlers(on: routes, configuration: APIJSON.openAPIConfiguration)
    }

    /// Runs a repository call through the database gate (deadline, `503` when unreachable).
    func database<T: Sendable>(
        _ logger: Logger,
        _ operation: @escaping @Sendable (Repository) async throws -> T
    ) async throws -> T {
        let repository = self.repository
        return try await self.database.run(logger) { try await operation(repository) }
    }

    /// The page size of a listing request.
    static func pageSize(_ limit: Int?) throws -> Int {
        guard let limit else { return self.defaultPageSize }
        guard (1...self.maximumPageSize).contains(limit) else {
            throw APIProblem.invalidField("limit", code: "out_of_range", "must be 1–\(self.maximumPageSize)")
        }
        return limit
    }

    /// The position of a listing request.
    static func cursor(_ token: String?) throws -> ListCursor? {
        guard let token else { return nil }
        guard let cursor = ListCursor(token: token) else {
            throw APIProblem.invalidField("cursor", code: "invalid", "is not a cursor this API returned")
        }
        return cursor
    }
}
