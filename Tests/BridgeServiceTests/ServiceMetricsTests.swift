import MetricsTestKit
import Testing

@testable import BridgeService

@Suite struct ServiceMetricsTests {
    /// Held receipts are counted by connector and by how their wait ended, under the names
    /// docs/METRICS.md gives.
    @Test func heldReceiptsAreCountedByHowTheyWentOn() {
        let factory = TestMetrics()
        let metrics = ServiceMetrics(factory: factory)
        metrics.recordHeldReceipt(connector: "main", release: .recorded)
        metrics.recordHeldReceipt(connector: "main", release: .recorded)
        metrics.recordHeldReceipt(connector: "main", release: .overdue)
        metrics.recordHeldReceipt(connector: "backup", release: .shutdown)
        let label = "smsbridge_receipts_held_total"
        #expect(factory.counterTotal(label: label, dimensions: [("connector", "main"), ("release", "recorded")]) == 2)
        #expect(factory.counterTotal(label: label, dimensions: [("connector", "main"), ("release", "overdue")]) == 1)
        #expect(factory.counterTotal(label: label, dimensions: [("connector", "backup"), ("release", "shutdown")]) == 1)
        #expect(factory.counterTotal(label: label) == 4)
    }

    /// The series of the connectors named at creation exist before their first event, at 0: a
    /// counter that appears with its first event hides that event from `rate()` and `increase()`.
    @Test func theConnectorsSeriesExistFromTheStart() throws {
        let factory = TestMetrics()
        _ = ServiceMetrics(connectors: ["main", "backup"], factory: factory)
        for connector in ["main", "backup"] {
            for result in ["matched", "unmatched"] {
                let counter = try factory.expectCounter(
                    "smsbridge_receipts_total",
                    [("connector", connector), ("result", result)]
                )
                #expect(counter.totalValue == 0)
            }
            for release in ["recorded", "overdue", "shutdown"] {
                let counter = try factory.expectCounter(
                    "smsbridge_receipts_held_total",
                    [("connector", connector), ("release", release)]
                )
                #expect(counter.totalValue == 0)
            }
            let inbound = try factory.expectCounter("smsbridge_inbound_messages_total", [("connector", connector)])
            #expect(inbound.totalValue == 0)
        }
    }
}
