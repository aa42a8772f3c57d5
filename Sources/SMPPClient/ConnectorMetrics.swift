import CoreMetrics

/// The connector's metrics (see docs/METRICS.md for names and labels).
struct ConnectorMetrics: Sendable {
    let submitsOK: Counter
    let submitsRejected: Counter
    let submitsFailed: Counter
    let throttled: Counter
    let receipts: Counter
    let messages: Counter
    let alerts: Counter
    let reconnects: Counter
    let bindFailures: Counter
    let sessionsBound: Gauge
    let inFlight: Gauge
    let queuedUrgent: Gauge
    let queuedNormal: Gauge
    let submitDuration: Timer

    init(connector: String, factory: any MetricsFactory) {
        let dimensions = [("connector", connector)]
        func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: label, dimensions: dimensions + extra, factory: factory)
        }
        self.submitsOK = counter("smpp_submits_total", [("result", "ok")])
        self.submitsRejected = counter("smpp_submits_total", [("result", "rejected")])
        self.submitsFailed = counter("smpp_submits_total", [("result", "failed")])
        self.throttled = counter("smpp_throttled_total")
        self.receipts = counter("smpp_inbound_total", [("kind", "receipt")])
        self.messages = counter("smpp_inbound_total", [("kind", "message")])
        self.alerts = counter("smpp_inbound_total", [("kind", "alert")])
        self.reconnects = counter("smpp_reconnects_total")
        self.bindFailures = counter("smpp_bind_failures_total")
        self.sessionsBound = Gauge(label: "smpp_sessions_bound", dimensions: dimensions, factory: factory)
        self.inFlight = Gauge(label: "smpp_window_in_use", dimensions: dimensions, factory: factory)
        self.queuedUrgent = Gauge(
            label: "smpp_queue_depth",
            dimensions: dimensions + [("lane", "urgent")],
            factory: factory
        )
        self.queuedNormal = Gauge(
            label: "smpp_queue_depth",
            dimensions: dimensions + [("lane", "normal")],
            factory: factory
        )
        self.submitDuration = Timer(label: "smpp_submit_duration_seconds", dimensions: dimensions, factory: factory)
    }
}
