import BridgeHTTP
import BridgeStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import SMPPClient

/// `/healthz` (the process answers) and `/readyz` (it can do its job: the database answers, its
/// applied migrations are this build's and unchanged, and at least one connector has a bound
/// session). Load balancers send traffic only to ready instances.
struct HealthChecks: Sendable {
    let client: PostgresClient
    /// This build's migrations.
    let migrations: MigrationRunner
    let connectors: [SMPPConnector]
    let logger: Logger
    /// A database slower than this counts as not reachable.
    var databaseTimeout: Duration = .seconds(2)

    struct Readiness: Codable, ResponseEncodable {
        var ready: Bool
        /// `ok` or `unreachable`.
        var database: String
        /// `current`, `pending` (the database lacks some of this build's), `ahead` (the database
        /// has migrations this build does not know), `modified` (an applied migration's checksum
        /// differs from this build's file) or `unknown` (the database did not answer).
        var migrations: String
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
        var database = "ok"
        let migrations: String
        // One query answers both questions: reading the applied migrations is the database check,
        // as `SELECT 1` was, so a probe costs no more than before and needs no cache.
        do {
            let (runner, client, logger) = (self.migrations, self.client, self.logger)
            let pending = try await withDatabaseDeadline(self.databaseTimeout) {
                try await runner.pending(on: client, logger: logger)
            }
            if pending.isEmpty {
                migrations = "current"
            } else {
                migrations = "pending"
                problems.append(
                    "migrations: \(pending.count) pending (\(pending.map(\.name).joined(separator: ", "))): "
                        + "run `smsbridge migrate`"
                )
            }
        } catch let error as MigrationError {
            // The comparison `smsbridge migrate` makes: a newer build's database, or a changed file.
            if case .modified = error { migrations = "modified" } else { migrations = "ahead" }
            problems.append("migrations: \(error)")
        } catch {
            database = "unreachable"
            migrations = "unknown"
            problems.append("database: not answering within \(self.databaseTimeout)")
        }
        var bound: [String: Int] = [:]
        for connector in self.connectors {
            let status = connector.status()
            bound[status.name] = status.sessions.filter { $0.state == "bound" }.count
            // A connector that stopped binding after its credentials were refused says why.
            if let alert = status.alert { problems.append("connector \(status.name): \(alert)") }
        }
        if !bound.values.contains(where: { $0 > 0 }) {
            problems.append("connectors: no session bound")
        }
        return Readiness(
            ready: problems.isEmpty,
            database: database,
            migrations: migrations,
            connectors: bound,
            problems: problems
        )
    }
}
