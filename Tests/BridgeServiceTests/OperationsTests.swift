import BridgeService
import BridgeStore
import BridgeTestSupport
import Foundation
import NIOHTTP1
import SMPP
import SMSCSimulator
import Testing

/// What an operator uses: `/metrics`, `/readyz` when the database goes away, the admin API.
@Suite(.timeLimit(.minutes(3))) struct OperationsTests {
    /// A connector name no other test uses, so its series hold this test's values only.
    static func renameConnector(_ name: String) -> (inout BridgeConfiguration) -> Void {
        { configuration in
            configuration.connectors[name] = configuration.connectors.removeValue(forKey: "main")
        }
    }

    /// The value of the sample `name{labels}` (labels exactly as written, sorted as emitted).
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsExposeTheNamedSeries() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { try? await receiver.stop() } }
        try await withServer(configure: {
            Self.renameConnector("metered")(&$0)
            $0.webhooks.allowPrivateDestinations = true
        }) { server in
            // The webhook series have no label of this test's own: compare with their values before.
            let before = try await server.request(.GET, "/metrics").body
            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "counted", "callback_url": "\#(receiver.url)"}"#
            )
            #expect(accepted.status == 202)
            _ = try await server.waitForStatus(try #require(try accepted.json()["id"] as? String), "delivered")
            #expect(try await server.request(.POST, "/v1/messages", json: #"{"to": "447700900123"}"#).status == 400)
            _ = try server.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "counted too"))
            try await receiver.waitFor(2)
            var text = ""
            try await waitUntil("the inbound message and both webhook deliveries counted") {
                text = try await server.request(.GET, "/metrics").body
                let delivered = #"webhook_deliveries_total{result="delivered"}"#
                return Self.sample(text, #"smsbridge_inbound_messages_total{connector="metered"}"#) == 1
                    && (Self.sample(text, delivered) ?? 0) >= (Self.sample(before, delivered) ?? 0) + 2
            }
            let reply = try await server.request(.GET, "/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            // The connector: submits, response time, sessions, window, throttling.
            #expect(Self.sample(text, #"smpp_submits_total{connector="metered",result="ok"}"#) == 1)
            #expect(Self.sample(text, #"smpp_submit_duration_seconds_count{connector="metered"}"#) == 1)
            #expect(Self.sample(text, #"smpp_sessions_bound{connector="metered"}"#) == 1)
            #expect(Self.sample(text, #"smpp_throttled_total{connector="metered"}"#) == 0)
            #expect(text.contains(#"smpp_window_in_use{connector="metered"}"#))
            // Receipts matched, messages by status, the queue.
            // The receipt is matched at once, or kept until the submit response is stored.
            let matched = Self.sample(text, #"smsbridge_receipts_total{connector="metered",result="matched"}"#) ?? 0
            let kept = Self.sample(text, #"smsbridge_receipts_total{connector="metered",result="unmatched"}"#) ?? 0
            #expect(matched + kept == 1)
            #expect((Self.sample(text, #"smsbridge_messages_total{status="sent"}"#) ?? 0) >= 1)
            #expect((Self.sample(text, #"smsbridge_messages_total{status="delivered"}"#) ?? 0) >= 1)
            #expect(Self.sample(text, "smsbridge_queue_depth") != nil)
            #expect(Self.sample(text, "smsbridge_queue_oldest_age_seconds") != nil)
            #expect(Self.sample(text, #"smsbridge_queue_messages{status="queued"}"#) != nil)
            #expect(Self.sample(text, "smsbridge_database_up") == 1)
            // Inbound messages.
            #expect(Self.sample(text, #"smsbridge_inbound_messages_total{connector="metered"}"#) == 1)
            // Webhooks: the two callbacks (sent, delivered), their duration, the outbox.
            let durations = "webhook_delivery_duration_seconds_count"
            #expect((Self.sample(text, durations) ?? 0) >= (Self.sample(before, durations) ?? 0) + 2)
            #expect(Self.sample(text, #"webhook_deliveries_total{result="failed"}"#) != nil)
            #expect(Self.sample(text, #"webhook_deliveries_total{result="dead"}"#) != nil)
            #expect(Self.sample(text, "webhook_outbox_pending") != nil)
            // HTTP requests by route and status, and their latency.
            let requests = { (status: Int) in
                #"hb_requests{http_route="/v1/messages",http_request_method="POST",http_response_status_code="\#(status)"}"#
            }
            #expect((Self.sample(text, requests(202)) ?? 0) >= 1)
            #expect((Self.sample(text, requests(400)) ?? 0) >= 1)
            #expect(text.contains("http_server_request_duration"))
            // Every family once, none clashing with another as OpenMetrics names them (a counter
            // `x_total` is the family `x`): what every test of this process registered so far.
            let problems = MetricsExposition(text).problems
            #expect(problems.isEmpty, "\(problems)")
        }
    }

    @Test func readinessFlipsWhenTheDatabaseGoesAway() async throws {
        try await withServer { server in
            try await waitUntil("ready") { try await server.request(.GET, "/readyz").status == 200 }
            try await whileDatabaseAway(try databaseName(server.databaseURL)) {
                try await waitUntil("not ready") { try await server.request(.GET, "/readyz").status == 503 }
                let down = try await server.request(.GET, "/readyz").json()
                #expect(down["database"] as? String == "unreachable")
                // Clients are told to come back, not given a 500.
                let refused = try await server.request(
                    .POST,
                    "/v1/messages",
                    json: #"{"to": "447700900123", "from": "Shop", "text": "while down"}"#
                )
                #expect(refused.status == 503)
                #expect(refused.headers.first(name: "Retry-After") != nil)
            }
            try await waitUntil("ready again", timeout: .seconds(20)) {
                try await server.request(.GET, "/readyz").status == 200
            }
        }
    }

    @Test func readinessFlipsWhenTheMigrationsAreNotThisBuilds() async throws {
        try await withServer { server in
            try await waitUntil("ready") { try await server.request(.GET, "/readyz").status == 200 }
            #expect(try await server.request(.GET, "/readyz").json()["migrations"] as? String == "current")
            let latest = try #require(try MigrationRunner.bundled().migrations.last)
            // Waits until `/readyz` answers `status`; returns its body.
            func readiness(_ status: Int) async throws -> [String: Any] {
                var body: [String: Any] = [:]
                try await waitUntil("/readyz \(status)") {
                    let reply = try await server.request(.GET, "/readyz")
                    body = try reply.json()
                    return reply.status == status
                }
                return body
            }
            try await withDatabase(server.databaseURL) { database in
                // A migration of this build missing (a database restored from an older backup).
                try await database.execute("DELETE FROM schema_migrations WHERE version = \(latest.version)")
                let pending = try await readiness(503)
                #expect(pending["migrations"] as? String == "pending")
                #expect(pending["database"] as? String == "ok")
                #expect((pending["problems"] as? [String])?.first?.contains(latest.name) == true, "\(pending)")
                try await database.execute(
                    """
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(latest.version), '\(latest.name)', '\(latest.checksum)')
                    """
                )
                #expect(try await readiness(200)["migrations"] as? String == "current")

                // A migration this build does not know (a newer build migrated the database).
                try await database.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')"
                )
                let ahead = try await readiness(503)
                #expect(ahead["migrations"] as? String == "ahead")
                #expect((ahead["problems"] as? [String])?.first?.contains("9999") == true, "\(ahead)")
                try await database.execute("DELETE FROM schema_migrations WHERE version = 9999")
                #expect(try await readiness(200)["migrations"] as? String == "current")

                // An applied migration whose file changed since (its checksum is not this build's).
                try await database.execute(
                    "UPDATE schema_migrations SET checksum = 'edited' WHERE version = \(latest.version)"
                )
                let modified = try await readiness(503)
                #expect(modified["migrations"] as? String == "modified")
                #expect(modified["database"] as? String == "ok")
                let problem = (modified["problems"] as? [String])?.first ?? ""
                #expect(problem.contains(latest.name) && problem.contains("checksum"), "\(modified)")
                try await database.execute(
                    "UPDATE schema_migrations SET checksum = '\(latest.checksum)' WHERE version = \(latest.version)"
                )
                #expect(try await readiness(200)["migrations"] as? String == "current")
            }
        }
    }

    static let adminToken = "admin-token-0123456789"

    func admin(
        _ server: RunningServer,
        _ method: HTTPMethod,
        _ path: String,
        json: String? = nil,
        token: String = Self.adminToken
    ) async throws -> RunningServer.Reply {
        try await server.request(method, path, json: json, key: token)
    }

    @Test func theAdminAPINeedsItsOwnToken() async throws {
        try await withServer(configure: { $0.admin.token = Self.adminToken }) { server in
            let anonymous = try await self.admin(server, .GET, "/admin/connectors", token: "")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers.first(name: "Content-Type") == "application/problem+json")
            // A customer's API key is not an admin token.
            #expect(try await self.admin(server, .GET, "/admin/connectors", token: server.apiKey).status == 401)
            #expect(try await self.admin(server, .GET, "/admin/connectors").status == 200)
        }
        try await withServer { server in
            // Without admin.token there is no admin API.
            let reply = try await self.admin(server, .GET, "/admin/connectors")
            #expect(reply.status == 404)
        }
    }

    @Test func aPausedConnectorKeepsItsMessagesUntilResumed() async throws {
        try await withServer(configure: { $0.admin.token = Self.adminToken }) { server in
            try await waitUntil("bound") {
                let list =
                    try JSONSerialization.jsonObject(
                        with: Data(try await self.admin(server, .GET, "/admin/connectors").body.utf8)
                    ) as? [[String: Any]]
                let sessions = (list?.first?["status"] as? [String: Any])?["sessions"] as? [[String: Any]]
                return sessions?.first?["state"] as? String == "bound"
            }
            let paused = try await self.admin(
                server,
                .POST,
                "/admin/connectors/main/pause",
                json: #"{"reason": "maintenance window"}"#
            )
            #expect(paused.status == 200, "\(paused.body)")
            #expect((try paused.json()["paused"] as? [String: Any])?["reason"] as? String == "maintenance window")
            #expect((try paused.json()["status"] as? [String: Any])?["state"] as? String == "paused")

            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "after the pause"}"#
            )
            let id = try #require(try accepted.json()["id"] as? String)
            // Longer than the dispatcher's polling interval: nothing may be claimed meanwhile.
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await server.request(.GET, "/v1/messages/\(id)").json()["status"] as? String == "queued")
            #expect(server.simulator.counters.submitsReceived == 0)
            let queue = try await self.admin(server, .GET, "/admin/queue").json()
            #expect(queue["paused"] as? [String] == ["main"])
            #expect((queue["connectors"] as? [[String: Any]])?.first?["due"] as? Int == 1)
            #expect((queue["messages"] as? [String: Int])?["queued"] == 1)

            let resumed = try await self.admin(server, .POST, "/admin/connectors/main/resume")
            #expect(resumed.status == 200)
            #expect((try resumed.json()["status"] as? [String: Any])?["state"] as? String == "running")
            _ = try await server.waitForStatus(id, "delivered")
        }
    }

    @Test func unknownConnectorsAreProblems() async throws {
        try await withServer(configure: { $0.admin.token = Self.adminToken }) { server in
            let reply = try await self.admin(server, .POST, "/admin/connectors/nope/pause")
            #expect(reply.status == 404)
            #expect(reply.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(try reply.json()["status"] as? Int == 404, "a number, as RFC 9457 has it")
            #expect((try reply.json()["detail"] as? String)?.contains("main") == true)
            let bad = try await self.admin(server, .POST, "/admin/connectors/main/pause", json: "{not json")
            #expect(bad.status == 400)
        }
    }

    @Test func unmatchedReceiptsAreListedForOperators() async throws {
        // The SMSC writes receipt ids in decimal, the connector compares them exactly: the receipt
        // cannot be matched, and is kept for an operator to look at.
        try await withServer(
            simulator: { $0.receiptIDFormat = .decimal },
            configure: {
                $0.admin.token = Self.adminToken
                $0.connectors["main"]?.messageIDs = .exact
            }
        ) { server in
            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "which receipt?"}"#
            )
            let id = try #require(try accepted.json()["id"] as? String)
            let sent = try await server.waitForStatus(id, "sent")
            let parts = try #require(sent["parts"] as? [[String: Any]])
            let smscID = try #require(parts.first?["smsc_message_id"] as? String)
            var receipts: [[String: Any]] = []
            try await waitUntil("the receipt kept unmatched") {
                let listed = try await self.admin(server, .GET, "/admin/receipts/unmatched").json()
                receipts = listed["receipts"] as? [[String: Any]] ?? []
                return !receipts.isEmpty
            }
            #expect(receipts.count == 1)
            #expect(receipts.first?["connector"] as? String == "main")
            #expect(receipts.first?["smsc_message_id"] as? String == UInt64(smscID, radix: 16).map(String.init))
            #expect(receipts.first?["stat"] as? String == "DELIVRD")
            #expect(receipts.first?["received_at"] as? String != nil)
            #expect(try await server.request(.GET, "/v1/messages/\(id)").json()["status"] as? String == "sent")

            let limited = try await self.admin(server, .GET, "/admin/receipts/unmatched?limit=1").json()
            #expect(limited["limit"] as? Int == 1)
            for limit in ["0", "1001", "many"] {
                let refused = try await self.admin(server, .GET, "/admin/receipts/unmatched?limit=\(limit)")
                #expect(refused.status == 400)
                #expect(refused.headers.first(name: "Content-Type") == "application/problem+json")
            }
            let customer = try await self.admin(server, .GET, "/admin/receipts/unmatched", token: server.apiKey)
            #expect(customer.status == 401)
        }
    }

    /// Every admin call that reads or writes the database answers within the database timeout
    /// while the database is away: the customer API's `503` `database-unavailable` with
    /// `Retry-After`, not a request that waits for PostgresNIO's pool to give up (over a minute).
    @Test func theAdminAPIAnswers503WhileTheDatabaseIsAway() async throws {
        try await withServer(configure: {
            $0.admin.token = Self.adminToken
            $0.http.databaseTimeout = .seconds(1)
        }) { server in
            #expect(try await self.admin(server, .GET, "/admin/queue").status == 200)
            let calls: [(HTTPMethod, String)] = [
                (.GET, "/admin/connectors"), (.GET, "/admin/connectors/main"),
                (.POST, "/admin/connectors/main/pause"), (.POST, "/admin/connectors/main/resume"),
                (.GET, "/admin/queue"), (.GET, "/admin/receipts/unmatched"),
            ]
            try await whileDatabaseAway(try databaseName(server.databaseURL)) {
                for (method, path) in calls {
                    let started = ContinuousClock.now
                    let reply = try await self.admin(server, method, path)
                    let waited = ContinuousClock.now - started
                    let call: Comment = "\(method) \(path): \(reply.body)"
                    #expect(reply.status == 503, call)
                    #expect(reply.headers.first(name: "Content-Type") == "application/problem+json", call)
                    #expect(reply.headers.first(name: "Retry-After") == "5", call)
                    #expect(
                        try reply.json()["type"] as? String == "https://smsbridge.dev/problems/database-unavailable",
                        call
                    )
                    // The timeout, and at most the 2 s given to a call that was already running.
                    #expect(waited < .seconds(8), call)
                }
            }
            try await waitUntil("the admin API answers again", timeout: .seconds(20)) {
                try await self.admin(server, .GET, "/admin/queue").status == 200
            }
        }
    }
}
