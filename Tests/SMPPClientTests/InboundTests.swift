import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct InboundTests {
    @Test func mobileOriginatedMessagesArriveAsEvents() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let collector = EventCollector(connector)
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                _ = try simulator.injectMO(.init(from: "+447700900123", to: "7726", text: "YES please"))
                try await eventually("the MO") { collector.messages.count == 1 }
                let event = collector.messages[0]
                #expect(event.text == "YES please")
                #expect(event.message?.source == Address(ton: .international, npi: .isdn, "447700900123"))
                #expect(event.connector == "test")
                try await eventually("the acknowledgement") { simulator.counters.moAcknowledged == 1 }
            }
        }
    }

    @Test func longMobileOriginatedMessagesArriveAsParts() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let collector = EventCollector(connector)
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                let text = String(repeating: "Привет ", count: 20)  // UCS-2, 140 units: 3 parts of 67
                _ = try simulator.injectMO(.init(from: "447700900123", to: "7726", text: text))
                try await eventually("every part") { collector.messages.count == 3 }
                let parts = collector.messages.sorted {
                    ($0.message?.concatenation?.sequence ?? 0) < ($1.message?.concatenation?.sequence ?? 0)
                }
                #expect(parts.compactMap { $0.text }.joined() == text)
                #expect(Set(parts.compactMap { $0.message?.concatenation?.reference }).count == 1)
            }
        }
    }

    @Test func unacknowledgedInboundIsRefusedTemporarilySoTheSMSCRedelivers() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.deliveryRetryInterval = 0.1 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.inboundAcknowledgementTimeout = .milliseconds(200)
            }
            try await withConnector(configuration) { connector in
                // The application acknowledges only the second delivery.
                let deliveries = Counter()
                let collector = EventCollector(connector) { _ in deliveries.increment() >= 2 ? .ok : nil }
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                _ = try simulator.injectMO(.init(from: "447700900123", to: "7726", text: "again"))
                try await eventually("the redelivery to be acknowledged") { simulator.counters.moAcknowledged == 1 }
                #expect(collector.messages.count == 2)
                #expect(simulator.counters.moRetries >= 1)
            }
        }
    }

    @Test func receiptsArriveOnTheReceiverOfATransmitterReceiverPair() async throws {
        try await withSimulator { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.bindMode = .transmitterAndReceiver
            }
            try await withConnector(configuration) { connector in
                let collector = EventCollector(connector)
                try await eventually("both binds") { connector.status().sessions.allSatisfy { $0.state == "bound" } }
                let result = try await connector.send(.text("pair", from: "Shop", to: "4477001"))[0]
                #expect(result.session == 0)
                try await eventually("the receipt") { collector.receipts.count == 1 }
                #expect(collector.receipts[0].event.session == 1, "delivered on the receiver bind")
                #expect(connector.status().sessions.map(\.bindType) == [.transmitter, .receiver])
            }
        }
    }

    @Test func failedOutcomesArriveWithTheirState() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests {
            $0.receipts.outcomes = try! OutcomeMix(parsing: "UNDELIV=1")
        }
        try await withSimulator(simulatorConfiguration) { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let collector = EventCollector(connector)
                _ = try await connector.send(.text("to nowhere", from: "Shop", to: "4477001"))
                try await eventually("the receipt") { collector.receipts.count == 1 }
                let receipt = collector.receipts[0].receipt
                #expect(receipt.state == .undeliverable)
                #expect(receipt.networkErrorCode == .gsm(1))
            }
        }
    }
}

/// A thread-safe counter for test closures.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// Increments and returns the new value.
    func increment() -> Int {
        self.value.withLock {
            $0 += 1
            return $0
        }
    }
}
