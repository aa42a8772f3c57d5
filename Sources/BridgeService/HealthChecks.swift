import BridgeHTTP
import BridgeStore
import Foundation
import Hummingbird
import NIOCore
import SMPPClient

/// `/healthz` (the process answers) and `/readyz` (it can do its job: the database answers and at
/// least one connector has a bound session). Load balancers send traffic only to ready instances.
struct HealthChecks: Sendable {
    let store: PostgresStore
    let connectors: [SMPPConnector]
    /// A database slower than this counts as not reachable.
    var databaseTimeout: Duration = .seconds(2)

    struct Readiness: Codable, ResponseEncodable {
        var ready: Bool
        var database: String
        var connectors: [String: Int]
        var problems: [String]
    }

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/healthz") { _, _ in
            "ok\n"
        }
        router.get("/readyz") { _, _ in
            let readiness = await self.readiness()
            return try Response.json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        }
    }

    func readiness() async -> Readiness {
        var problems: [String] = []
        let database: String
        do {
            let store = self.store
            try await withDatabaseDeadline(self.databaseTimeout) { try await store.ping() }
            database = "ok"
        } catch {
            database = "unreachable"
            problems.append("database: not answering within \(self.databaseTimeout)")
        }
        var bound: [String: Int] = [:]
        for connector in self.connectors {
            let status = connector.status()
            bound[status.name] = status.sessions.filter { $0.state == "bound" }.count
        }
        if !bound.values.contains(where: { $0 > 0 }) {
            problems.append("connectors: no session bound")
        }
        return Readiness(ready: problems.isEmpty, database: database, connectors: bound, problems: problems)
    }
}
