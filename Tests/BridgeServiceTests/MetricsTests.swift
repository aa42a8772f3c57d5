import Testing

/// `/metrics` read as an OpenMetrics parser reads it.
@Suite struct MetricsTests {
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
}
