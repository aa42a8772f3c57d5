import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import SMSCSimulator
import ServiceLifecycle
import Testing

@testable import BridgeService

/// The whole service in one process, driven over HTTP: what a client of the README does.
@Suite(.timeLimit(.minutes(3))) struct ServerTests {
    @Test func aMessagePostedOverHTTPIsDelivered() async throws {
        try await withServer { server in
            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "+447700900123", "from": "Shop", "text": "Hello from the README"}"#
            )
            #expect(accepted.status == 202, "\(accepted.body)")
            let id = try #require(try accepted.json()["id"] as? String)
            let delivered = try await server.waitForStatus(id, "delivered")
            let parts = try #require(delivered["parts"] as? [[String: Any]])
            #expect(parts.count == 1)
            #expect(parts.first?["smsc_message_id"] as? String != nil)
            #expect((delivered["receipts"] as? [Any])?.count == 1)
            #expect(server.simulator.messages().map(\.text) == ["Hello from the README"])
        }
    }

    @Test func aLongUnicodeMessageIsDeliveredInParts() async throws {
        let text = String(repeating: "Привет мир! ", count: 12)
        try await withServer { server in
            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "\#(text)"}"#
            )
            #expect(accepted.status == 202, "\(accepted.body)")
            let body = try accepted.json()
            #expect(body["encoding"] as? String == "ucs2")
            #expect(body["part_count"] as? Int == 3)
            #expect((body["parts"] as? [Any])?.count == 3)
            let delivered = try await server.waitForStatus(try #require(body["id"] as? String), "delivered")
            #expect(
                (delivered["parts"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "delivered" } == true
            )
        }
    }

    @Test func inboundMessagesAreRoutedAndListed() async throws {
        try await withServer(configure: { $0.inbound.routes = ["12345": "acme"] }) { server in
            _ = try server.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "STOP"))
            var listed: [[String: Any]] = []
            try await waitUntil("the inbound message listed") {
                listed = try await server.request(.GET, "/v1/inbound").json()["data"] as? [[String: Any]] ?? []
                return !listed.isEmpty
            }
            #expect(listed.count == 1)
            #expect(listed.first?["text"] as? String == "STOP")
            #expect(listed.first?["from"] as? String == "+447700900555")
        }
    }

    @Test func healthAndReadiness() async throws {
        try await withServer { server in
            let health = try await server.request(.GET, "/healthz")
            #expect(health.status == 200)
            try await waitUntil("ready") { try await server.request(.GET, "/readyz").status == 200 }
            let ready = try await server.request(.GET, "/readyz").json()
            #expect(ready["database"] as? String == "ok")
            #expect((ready["connectors"] as? [String: Int])?["main"] == 1)
        }
    }

    /// Refused credentials stop the connector binding (an alert, not a reconnect loop): readiness says why.
    @Test func readinessNamesACredentialsAlert() async throws {
        try await withServer(simulator: { $0.users = [.init(systemID: "someone-else", password: "pw")] }) { server in
            try await waitUntil("the alert") {
                let problems = try await server.request(.GET, "/readyz").json()["problems"] as? [String]
                return problems?.contains { $0.hasPrefix("connector main: ") } == true
            }
            let reply = try await server.request(.GET, "/readyz")
            #expect(reply.status == 503)
            let problems = try #require(try reply.json()["problems"] as? [String])
            #expect(problems.contains { $0.hasPrefix("connector main: ") && $0.contains("ESME_RINVSYSID") }, "\(problems)")
        }
    }

    @Test func notReadyWhileNoSessionIsBound() async throws {
        try await withServer(configure: { $0.connectors["main"]?.endpoints = ["127.0.0.1:1"] }) { server in
            let reply = try await server.request(.GET, "/readyz")
            #expect(reply.status == 503)
            #expect((try reply.json()["problems"] as? [String])?.contains("connectors: no session bound") == true)
            // Still accepting: messages wait in the queue for the SMSC.
            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "later"}"#
            )
            #expect(accepted.status == 202)
        }
    }

    @Test func theServerMigratesAnEmptyDatabaseAtStart() async throws {
        let simulator = try await startSimulator(receiptDelay: 0)
        defer { Task { await simulator.stop() } }
        let url = try await makeEmptyDatabase("migrate")
        let configuration = serverConfiguration(databaseURL: url, smppPort: simulator.port!)
        let (ready, continuation) = AsyncStream.makeStream(of: BridgeServer.Ready.self)
        let server = try BridgeServer(configuration: configuration, logger: quietLogger("server")) {
            continuation.yield($0)
        }
        let task = Task { try await server.run() }
        var iterator = ready.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        task.cancel()
        _ = await task.result
        #expect(try await pendingMigrations(url).isEmpty)
    }

    @Test func theServerRefusesADatabaseItCannotServe() async throws {
        // Migrated by a newer build: refused at once, not retried as a database that is starting.
        let (newer, _) = try await prepareDatabase(accounts: [])
        try await withDatabase(newer) { database in
            try await database.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')"
            )
        }
        let started = ContinuousClock.now
        await #expect(throws: MigrationError.unknownApplied(version: 9999)) {
            try await BridgeServer(
                configuration: serverConfiguration(databaseURL: newer, smppPort: 1),
                logger: quietLogger("server")
            ).run()
        }
        #expect(ContinuousClock.now - started < .seconds(10))

        // database.migrate false on a database that lacks migrations.
        var configuration = serverConfiguration(databaseURL: try await makeEmptyDatabase("nomigrate"), smppPort: 1)
        configuration.database.migrate = false
        let count = try MigrationRunner.bundled().migrations.count
        await #expect(
            throws: BridgeConfigurationError(
                key: "database.migrate",
                problem: "is false and \(count) migrations are pending: run `smsbridge migrate`"
            )
        ) {
            try await BridgeServer(configuration: configuration, logger: quietLogger("server")).run()
        }
    }

    /// Start-up waits for the database with one plain connection per attempt, each failure a
    /// warning with its cause, and then stops naming `database.url`.
    @Test func startUpGivesUpOnAnUnreachableDatabaseNamingDatabaseURL() async throws {
        let port = try freePort()
        let url = "postgres://x@127.0.0.1:\(port)/x?sslmode=disable"
        let logs = CapturedLogs()
        let server = try BridgeServer(
            configuration: serverConfiguration(databaseURL: url, smppPort: 1),
            logger: logs.logger(label: "server"),
            databaseWait: .init(attempts: 3, interval: .milliseconds(50), timeout: .seconds(2))
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: BridgeConfigurationError.self) { try await server.run() }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(error?.key == "database.url")
        #expect(
            error?.problem
                == "cannot reach the database \(url): connection refused (127.0.0.1:\(port)); gave up after 3 attempts"
        )
        let attempts = logs.all.filter { $0.message.hasPrefix("database not reachable") }
        #expect(attempts.map(\.level) == [.warning, .warning, .warning])
        #expect(attempts.map { $0.metadata["attempt"] } == ["1/3", "2/3", "3/3"])
        #expect(attempts.allSatisfy { $0.metadata["error"] == "connection refused (127.0.0.1:\(port))" })

        // Cancelled while it waits: it stops at once.
        let waiting = Task {
            try await BridgeServer(
                configuration: serverConfiguration(databaseURL: url, smppPort: 1),
                logger: quietLogger("server"),
                databaseWait: .init(attempts: 100, interval: .seconds(1), timeout: .seconds(2))
            ).run()
        }
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = ContinuousClock.now
        waiting.cancel()
        try await waiting.value
        #expect(ContinuousClock.now - cancelled < .seconds(1))
    }

    /// The database lost after start-up found it — here the connection applying migrations is
    /// ended while it reads which are applied, as when the database restarts — is waited for:
    /// a warning per failed attempt, and the bridge starts once the database answers again.
    @Test func aDatabaseLostWhilePreparingIsWaitedFor() async throws {
        let (url, _) = try await prepareDatabase(accounts: [])
        let name = try databaseName(url)
        let logs = CapturedLogs()
        let (ready, readyContinuation) = AsyncStream.makeStream(of: BridgeServer.Ready.self)
        let server = try BridgeServer(
            configuration: serverConfiguration(databaseURL: url, smppPort: 1),
            logger: logs.logger(label: "server")
        ) { readyContinuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger("services")))
        try await withDatabase(url) { store in
            try await store.client.withConnection { holder in
                // The test locks the migrations' table, so the server's migrations wait to read it.
                try await holder.query("BEGIN", logger: quietLogger("lock"))
                try await holder.query("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE", logger: quietLogger("lock"))
                let running = Task {
                    defer { readyContinuation.finish() }
                    try await group.run()
                }
                var ended = 0
                let deadline = ContinuousClock.now + .seconds(30)
                while ended == 0 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    ended = try await TestPostgres.shared.administer(
                        """
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE datname = '\(name)' AND wait_event_type = 'Lock' AND query LIKE '%FROM schema_migrations%'
                        """
                    )
                }
                #expect(ended == 1)
                try await holder.query("COMMIT", logger: quietLogger("lock"))
                var iterator = ready.makeAsyncIterator()
                guard await watch("server ready", { await iterator.next() }) != nil else {
                    try await running.value
                    throw HarnessError(description: "the server stopped before it was ready")
                }
                await group.triggerGracefulShutdown()
                try await running.value
            }
        }
        let failures = logs.records("preparing the database failed; trying again")
        #expect(failures.count == 1)
        #expect(failures.first?.level == .warning)
        #expect(failures.first?.metadata["retry_in"] == "0.1 seconds")
        #expect(try await pendingMigrations(url).isEmpty)
    }

    @Test func configurationErrorsNameTheKeyBeforeAnythingStarts() async throws {
        var configuration = serverConfiguration(databaseURL: "postgres://x@127.0.0.1:1/db", smppPort: 2775)
        configuration.connectors["main"]?.window = 0
        #expect(throws: BridgeConfigurationError(key: "connectors.main.window", problem: "must be 1…10000")) {
            _ = try BridgeServer(configuration: configuration, logger: quietLogger("server"))
        }
    }
}
