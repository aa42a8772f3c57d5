import BridgeCore
import BridgeStore
import CoreMetrics

/// What the bridge itself reports beside the connectors' `smpp_*` series (docs/METRICS.md).
///
/// Counters count what this instance recorded; sum them over instances. Created through a
/// `MetricsFactory` (the process's `MetricsSystem` by default), so tests can read them back. Every
/// series whose labels are known at start (the statuses, and per connector named at creation its
/// receipts, held receipts and inbound messages) is created with the value, at 0: a counter that
/// appears only with its first event hides that event from `rate()` and `increase()`.
struct ServiceMetrics: Sendable {
    private let factory: any MetricsFactory
    private let statusCounters: [MessageStatus: Counter]
    private let connectorCounters: [String: ConnectorCounters]
    let retries: Counter
    let lateMatches: Counter

    /// The series labelled by connector.
    private struct ConnectorCounters: Sendable {
        let matched: Counter
        let unmatched: Counter
        let held: [UnrecordedSubmissions.Release: Counter]
        let inbound: Counter

        init(connector: String, factory: any MetricsFactory) {
            func receipts(_ result: String) -> Counter {
                Counter(
                    label: "smsbridge_receipts_total",
                    dimensions: [("connector", connector), ("result", result)],
                    factory: factory
                )
            }
            self.matched = receipts("matched")
            self.unmatched = receipts("unmatched")
            var held: [UnrecordedSubmissions.Release: Counter] = [:]
            for release in UnrecordedSubmissions.Release.allCases {
                held[release] = Counter(
                    label: "smsbridge_receipts_held_total",
                    dimensions: [("connector", connector), ("release", release.rawValue)],
                    factory: factory
                )
            }
            self.held = held
            self.inbound = Counter(
                label: "smsbridge_inbound_messages_total",
                dimensions: [("connector", connector)],
                factory: factory
            )
        }
    }

    /// - Parameter connectors: the connectors whose series are created now, at 0; another
    ///   connector's are created with its first event.
    init(connectors: some Sequence<String> = [], factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        var counters: [MessageStatus: Counter] = [:]
        for status in MessageStatus.allCases where status.isRecordedByService {
            counters[status] = Counter(
                label: "smsbridge_messages_total",
                dimensions: [("status", status.rawValue)],
                factory: factory
            )
        }
        self.statusCounters = counters
        self.connectorCounters = Dictionary(
            connectors.map { ($0, ConnectorCounters(connector: $0, factory: factory)) },
            uniquingKeysWith: { first, _ in first }
        )
        self.retries = Counter(label: "smsbridge_submit_retries_total", factory: factory)
        self.lateMatches = Counter(label: "smsbridge_receipts_matched_late_total", factory: factory)
    }

    /// Counts a message that reached `status` (sent, or a final status).
    func recordStatus(_ status: MessageStatus) {
        self.statusCounters[status]?.increment()
    }

    /// Counts stored receipts by connector (matched to a part at once, or kept for later) and the
    /// message statuses they settled; `outcomes` are in the order of `receipts`.
    /// One counter lookup per connector and result, not per receipt.
    func recordReceipts(_ receipts: [IncomingReceipt], outcomes: [ReceiptOutcome]) {
        var counts: [String: (matched: Int, unmatched: Int)] = [:]
        for (receipt, outcome) in zip(receipts, outcomes) {
            switch outcome {
            case .matched(_, _, let status, _):
                counts[receipt.connector, default: (0, 0)].matched += 1
                if let status { self.recordStatus(status) }
            case .unmatched:
                counts[receipt.connector, default: (0, 0)].unmatched += 1
            }
        }
        for (connector, count) in counts {
            let counters = self.counters(connector)
            if count.matched > 0 { counters.matched.increment(by: count.matched) }
            if count.unmatched > 0 { counters.unmatched.increment(by: count.unmatched) }
        }
    }

    /// Counts receipts matched after their submit response was stored, and what they settled.
    func recordLateMatches(_ outcomes: [ReceiptOutcome]) {
        for case .matched(_, _, let status, _) in outcomes {
            self.lateMatches.increment()
            if let status { self.recordStatus(status) }
        }
    }

    /// Counts a receipt that waited in memory for its part's report, by how the wait ended.
    func recordHeldReceipt(connector: String, release: UnrecordedSubmissions.Release) {
        self.counters(connector).held[release]?.increment()
    }

    /// Counts a whole inbound message stored from `connector`.
    func recordInbound(connector: String) {
        self.counters(connector).inbound.increment()
    }

    private func counters(_ connector: String) -> ConnectorCounters {
        self.connectorCounters[connector] ?? ConnectorCounters(connector: connector, factory: self.factory)
    }
}

extension MessageStatus {
    /// The statuses the dispatcher and the receipt processor move messages to.
    fileprivate var isRecordedByService: Bool {
        switch self {
        case .scheduled, .queued, .sending: false
        case .sent, .delivered, .undelivered, .expired, .rejected, .failed, .canceled: true
        }
    }
}
