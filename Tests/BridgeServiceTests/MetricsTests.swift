import BridgeService
import BridgeTestSupport
import Foundation
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `/metrics` of a `smsbridge serve` process: a registry of its own, so what it shows at start is
/// what this process made (the in-process servers of other tests share theirs), and its queue
/// gauges read this test's database only.
@Suite(.timeLimit(.minutes(2))) struct MetricsTests {
    static let adminToken = "admin-token-0123456789"

    /// A metric of docs/METRICS.md.
    struct Documented {
        var name: String
        var type: String
        /// Each label with its documented values; empty for a label whose values are not listed.
        var labels: [(name: String, values: [String])]
    }

    /// Every metric docs/METRICS.md lists, but Hummingbird's (`## HTTP`): those come with the
    /// requests that label them.
    static func documentedMetrics() throws -> [Documented] {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: repository.appendingPathComponent("docs/METRICS.md"), encoding: .utf8)
        var section = ""
        var metrics: [Documented] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("## ") { section = String(line) }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard !section.hasPrefix("## HTTP"), cells.count >= 5, cells[1].hasPrefix("`") else { continue }
            // "`connector`, `result` = `ok` / `rejected`": each label, then its values, in backquotes.
            let labels = cells[3].split(separator: ",").compactMap { item -> (String, [String])? in
                let quoted = item.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                    .filter { $0.offset % 2 == 1 }.map { String($0.element) }
                guard let name = quoted.first else { return nil }
                return (name, Array(quoted.dropFirst()))
            }
            metrics.append(Documented(name: cells[1].trimmingCharacters(in: ["`"]), type: cells[2], labels: labels))
        }
        return metrics
    }

    /// Runs `body` with a `smsbridge serve` process of `configuration` (adjusted), then stops it.
    static func withInstance(
        name: String,
        configure adjust: (inout BridgeConfiguration) -> Void = { _ in },
        _ body: (RunningServer) async throws -> Void
    ) async throws {
        try await withProcessFixture(responseDelay: 0) { fixture in
            var configuration = fixture.configuration
            adjust(&configuration)
            let instance = try await ProcessTests.start(configuration, server: fixture.server, name: name)
            do {
                try await body(instance.server)
            } catch {
                instance.process.kill(SIGKILL)
                _ = try? await instance.process.wait(timeout: .seconds(10))
                throw error
            }
            instance.process.kill(SIGTERM)
            #expect(try await instance.process.wait(timeout: .seconds(20)) == 0)
        }
    }

    /// Every combination of the documented labels' values, `connector` being `connector`'s name.
    static func labelSets(_ metric: Documented, connector: String) -> [[String: String]]? {
        var sets: [[String: String]] = [[:]]
        for (name, values) in metric.labels {
            let values = name == "connector" ? [connector] : values
            guard !values.isEmpty else { return nil }
            sets = sets.flatMap { set in values.map { set.merging([name: $0]) { $1 } } }
        }
        return sets
    }

    /// The OpenMetrics reading of a text exposition finds families that clash, whatever their order.
    @Test func theExpositionCheckFindsClashingFamilies() {
        let clashing = MetricsExposition(
            """
            # TYPE smsbridge_messages_total counter
            smsbridge_messages_total{status="sent"} 3
            # TYPE smsbridge_messages gauge
            smsbridge_messages{status="queued"} 1
            """
        )
        #expect(
            clashing.problems.contains { $0.contains("the family smsbridge_messages is both") },
            "\(clashing.problems)"
        )
        let histogram = MetricsExposition(
            """
            # TYPE x_count gauge
            x_count 1
            # TYPE x histogram
            x_bucket{le="+Inf"} 0
            x_sum 0
            x_count 0
            """
        )
        #expect(histogram.problems.contains { $0.contains("both have series named x_count") }, "\(histogram.problems)")
        let scattered = MetricsExposition("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n# TYPE a gauge\n")
        #expect(scattered.problems.count == 2, "\(scattered.problems)")
        let fine = MetricsExposition(
            """
            # TYPE smsbridge_messages_total counter
            smsbridge_messages_total{status="sent"} 3
            smsbridge_messages_total{status="failed"} 0
            # TYPE smsbridge_queue_messages gauge
            smsbridge_queue_messages{status="queued"} 1
            """
        )
        #expect(fine.problems.isEmpty, "\(fine.problems)")
        #expect(fine.value("smsbridge_messages_total", ["status": "failed"]) == 0)
    }

    /// Before anything happened: one family per name, and every documented series there, each
    /// counter at 0 with every label set known at start (its connectors', its fixed values).
    @Test func aFreshInstanceShowsEveryDocumentedSeries() async throws {
        try await Self.withInstance(name: "metrics") { server in
            let exposition = MetricsExposition(try await server.request(.GET, "/metrics").body)
            #expect(exposition.problems.isEmpty, "\(exposition.problems)")
            let documented = try Self.documentedMetrics()
            #expect(documented.count > 20, "docs/METRICS.md read: \(documented.map(\.name))")
            for metric in documented {
                #expect(exposition.has(metric.name), "\(metric.name) is documented but not on /metrics")
                guard metric.type == "counter" else { continue }
                let sets = Self.labelSets(metric, connector: "main")
                #expect(sets != nil, "\(metric.name): a counter whose label values are not known at start")
                for labels in sets ?? [] {
                    #expect(exposition.value(metric.name, labels) == 0, "\(metric.name)\(labels) at start")
                }
            }
            // And nothing of ours that the page does not name.
            let names = Set(documented.map(\.name))
            for family in exposition.families
            where family.name.hasPrefix("smsbridge_") || family.name.hasPrefix("smpp_") {
                #expect(names.contains(family.name), "\(family.name) is not in docs/METRICS.md")
            }
        }
    }

    /// While the database is away the queue gauges keep their last reading (not a drained-looking
    /// 0), `smsbridge_database_up` is 0 and the reading's time stays where it was.
    @Test func theQueueGaugesKeepTheirLastReadingWhileTheDatabaseIsAway() async throws {
        try await Self.withInstance(name: "queue", configure: { $0.admin.token = Self.adminToken }) { server in
            // Paused, the connector's messages wait in the queue.
            let paused = try await server.request(
                .POST,
                "/admin/connectors/main/pause",
                json: "{}",
                key: Self.adminToken
            )
            #expect(paused.status == 200, "\(paused.body)")
            for index in 0..<2 {
                let accepted = try await server.request(
                    .POST,
                    "/v1/messages",
                    json: #"{"to": "447700900123", "from": "Shop", "text": "waiting \#(index)"}"#
                )
                #expect(accepted.status == 202, "\(accepted.body)")
            }
            var before = MetricsExposition("")
            try await waitUntil("both messages counted") {
                before = MetricsExposition(try await server.request(.GET, "/metrics").body)
                return before.value("smsbridge_queue_depth") == 2
            }
            #expect(before.value("smsbridge_queue_messages", ["status": "queued"]) == 2)
            #expect(before.value("smsbridge_database_up") == 1)
            let readAt = try #require(before.value("smsbridge_queue_last_read_timestamp_seconds"))
            #expect(abs(readAt - Date().timeIntervalSince1970) < 30)

            try await whileDatabaseAway(try databaseName(server.databaseURL)) {
                let away = MetricsExposition(try await server.request(.GET, "/metrics").body)
                #expect(away.value("smsbridge_database_up") == 0)
                #expect(away.value("smsbridge_queue_depth") == 2)
                #expect(away.value("smsbridge_queue_messages", ["status": "queued"]) == 2)
                #expect(
                    away.value("smsbridge_queue_oldest_age_seconds")
                        == before.value("smsbridge_queue_oldest_age_seconds")
                )
                #expect(away.value("smsbridge_queue_last_read_timestamp_seconds") == readAt)
            }
            try await waitUntil("read again", timeout: .seconds(20)) {
                let after = MetricsExposition(try await server.request(.GET, "/metrics").body)
                return after.value("smsbridge_database_up") == 1
                    && (after.value("smsbridge_queue_last_read_timestamp_seconds") ?? 0) > readAt
            }
        }
    }
}
