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
}
