import BridgeCore
import BridgeHTTP
import BridgeStore
import CoreMetrics
import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `GET /metrics`: every series of the process's Prometheus registry, in the text exposition format.
///
/// Before answering, it reads the queue from the database (bounded by a timeout) into gauges:
/// `smsbridge_queue_depth`, `smsbridge_queue_oldest_age_seconds` and
/// `smsbridge_queue_messages{status}` for the waiting statuses. `smsbridge_database_up` says whether
/// this scrape's reading succeeded; when it did not, the queue gauges keep the last reading (a queue
/// that reads 0 while the database is away would look drained) and
/// `smsbridge_queue_last_read_timestamp_seconds` says when that was (absent, like them, until a
/// first reading). Every instance reports the same queue; aggregate them with `max`, not `sum`.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let store: PostgresStore
    var databaseTimeout: Duration = .seconds(2)

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/metrics") { _, _ in
            await self.refreshQueueGauges()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer()))
            )
        }
    }

    private func refreshQueueGauges() async {
        let store = self.store
        let timeout = self.databaseTimeout
        let up = Gauge(label: "smsbridge_database_up")
        do {
            let (statistics, counts) = try await withDatabaseDeadline(timeout) {
                (try await store.queueStatistics(), try await store.activeMessageCounts())
            }
            Gauge(label: "smsbridge_queue_depth").record(statistics.depth)
            Gauge(label: "smsbridge_queue_oldest_age_seconds").record(statistics.oldestAge)
            for (status, count) in counts {
                Gauge(label: "smsbridge_queue_messages", dimensions: [("status", status.rawValue)]).record(count)
            }
            Gauge(label: "smsbridge_queue_last_read_timestamp_seconds").record(Date().timeIntervalSince1970)
            up.record(1)
        } catch {
            up.record(0)
        }
    }
}
