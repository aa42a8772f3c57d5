import BridgeCore
import BridgeStore
import CoreMetrics

/// What the bridge itself reports beside the connectors' `smpp_*` series (docs/METRICS.md).
///
/// Counters count what this instance recorded; sum them over instances. Created through a
/// `MetricsFactory` (the process's `MetricsSystem` by default), so tests can read them back.
struct ServiceMetrics: Sendable {
    private let factory: any MetricsFactory
    private let statusCounters: [MessageStatus: Counter]
    let retries: Counter
    let lateMatches: Counter

    init(factory: any MetricsFactory = MetricsSystem.factory) {
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
            if count.matched > 0 { self.receiptCounter(connector, "matched").increment(by: count.matched) }
            if count.unmatched > 0 { self.receiptCounter(connector, "unmatched").increment(by: count.unmatched) }
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
        Counter(
            label: "smsbridge_receipts_held_total",
            dimensions: [("connector", connector), ("release", release.rawValue)],
            factory: self.factory
        )
        .increment()
    }

    /// Counts a whole inbound message stored from `connector`.
    func recordInbound(connector: String) {
        Counter(
            label: "smsbridge_inbound_messages_total",
            dimensions: [("connector", connector)],
            factory: self.factory
        )
        .increment()
    }

    private func receiptCounter(_ connector: String, _ result: String) -> Counter {
        Counter(
            label: "smsbridge_receipts_total",
            dimensions: [("connector", connector), ("result", result)],
            factory: self.factory
        )
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
