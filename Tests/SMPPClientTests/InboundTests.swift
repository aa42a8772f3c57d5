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

    /// Acknowledgements given together (as the bridge answers a batch of receipts) answer every
    /// delivery, whichever session it came on.
    @Test func acknowledgementsGivenTogetherAnswerEveryDelivery() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!) { $0.sessions = 2 }) { connector in
                let collector = EventCollector(connector) { _ in nil }
                try await eventually("both binds") { connector.status().sessions.allSatisfy { $0.state == "bound" } }
                for number in 1...6 {
                    _ = try simulator.injectMO(.init(from: "447700900123", to: "7726", text: "message \(number)"))
                }
                try await eventually("every MO") { collector.messages.count == 6 }
                #expect(Set(collector.messages.map(\.session)).count == 2)
                #expect(simulator.counters.moAcknowledged == 0)
                collector.messages.compactMap(\.acknowledgement).acknowledge(.ok)
                try await eventually("every acknowledgement") { simulator.counters.moAcknowledged == 6 }
            }
        }
    }

    @Test func unacknowledgedInboundIsRefusedTemporarilySoTheSMSCRedelivers() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.deliveryRetryInterval = 0.1 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.inboundAcknowledgementTimeout = .seconds(1)
            }
            try await withConnector(configuration) { connector in
                // The application leaves the first delivery unacknowledged and acknowledges the
                // next (on a loaded machine its answer may miss the timeout too: then one more).
                let deliveries = Counter()
                let collector = EventCollector(connector) { _ in deliveries.increment() >= 2 ? .ok : nil }
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                _ = try simulator.injectMO(.init(from: "447700900123", to: "7726", text: "again"))
                try await eventually("the redelivery to be acknowledged") { simulator.counters.moAcknowledged == 1 }
                let counters = simulator.counters
                #expect(collector.messages.count >= 2)
                #expect(collector.messages.count == counters.moSent, "every delivery reached the application")
                #expect(counters.moRetries == counters.moSent - 1, "each unanswered delivery was refused and sent again")
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

    @Test func dataSMMessagesArriveAndAreAnsweredWithDataSMResp() async throws {
        try await withRawSMSC { smsc, port in
            try await withConnector(.forTests(port: port)) { connector in
                let collector = EventCollector(connector)
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                var tlvs = TLVs()
                tlvs.messagePayload = ByteBuffer(string: "Hello by data SM")
                let message = DataSM(
                    source: Address(ton: .international, npi: .isdn, "447700900123"),
                    destination: Address("7726"),
                    tlvs: tlvs
                )
                try await smsc.send(SMPPFrame(.dataSM(message), sequenceNumber: 41))
                try await eventually("the MO") { collector.messages.count == 1 }
                let event = collector.messages[0]
                #expect(event.text == "Hello by data SM")
                #expect(event.message?.source == message.source)
                #expect(event.frame.commandID == .dataSM)
                let answer = try await Self.answer(to: 41, from: smsc)
                #expect(answer == SMPPFrame(.dataSMResp(DataSMResponse()), sequenceNumber: 41))
            }
        }
    }

    /// An SMSC that pads a deliver_sm with 1–3 zero octets after its last field gets its message
    /// taken and answered `ok`, not refused with ESME_RINVTLVSTREAM (which it counts as a failure).
    @Test func deliverSMWithZeroPaddingIsTakenAndAnsweredOK() async throws {
        try await withRawSMSC { smsc, port in
            try await withConnector(.forTests(port: port)) { connector in
                let collector = EventCollector(connector)
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                let message = DeliverSM(
                    source: Address(ton: .international, npi: .isdn, "447700900123"),
                    destination: Address("7726"),
                    shortMessage: ByteBuffer(string: "padded")
                )
                for (sequenceNumber, padding) in zip(UInt32(51)...53, 1...3) {
                    var octets = RawSMSC.encode(SMPPFrame(.deliverSM(message), sequenceNumber: sequenceNumber))
                    octets.writeRepeatingByte(0, count: padding)
                    octets.setInteger(UInt32(octets.readableBytes), at: octets.readerIndex)
                    try await smsc.send(octets: octets)
                    let answer = try await Self.answer(to: sequenceNumber, from: smsc)
                    #expect(answer == SMPPFrame(.deliverSMResp(DeliverSMResponse()), sequenceNumber: sequenceNumber))
                }
                #expect(collector.messages.map(\.text) == ["padded", "padded", "padded"])
            }
        }
    }

    @Test func dataSMReceiptsArriveParsedAndAreAnswered() async throws {
        try await withRawSMSC { smsc, port in
            try await withConnector(.forTests(port: port)) { connector in
                let collector = EventCollector(connector)
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                let result = try await connector.send(.text("Hi", from: "Shop", to: "447700900123"))[0]
                let receipt = DataSM.receipt(
                    DeliveryReceipt(id: result.messageID, submitDate: nil, doneDate: nil, state: .delivered),
                    from: Address("447700900123"),
                    to: Address("Shop"),
                    receiptedMessageID: result.messageID,
                    messageState: .delivered
                )
                try await smsc.send(SMPPFrame(.dataSM(receipt), sequenceNumber: 42))
                try await eventually("the receipt") { collector.receipts.count == 1 }
                let (event, info) = collector.receipts[0]
                #expect(info.messageID == result.messageID)
                #expect(info.state == .delivered)
                #expect(event.messageIDCandidates.contains(result.messageIDKey))
                let answer = try await Self.answer(to: 42, from: smsc)
                #expect(answer == SMPPFrame(.dataSMResp(DataSMResponse()), sequenceNumber: 42))
            }
        }
    }

    @Test func alertNotificationsArriveAndAreNotAnswered() async throws {
        try await withRawSMSC { smsc, port in
            try await withConnector(.forTests(port: port)) { connector in
                let collector = EventCollector(connector)
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                let alert = AlertNotification(
                    source: Address(ton: .international, npi: .isdn, "447700900123"),
                    esmeAddress: Address("7726")
                )
                try await smsc.send(SMPPFrame(.alertNotification(alert), sequenceNumber: 43))
                try await eventually("the alert") { !collector.events.isEmpty }
                let event = collector.events[0]
                guard case .alert(let received) = event.kind else {
                    Issue.record("expected an alert, got \(event.kind)")
                    return
                }
                #expect(received == alert)
                #expect(event.acknowledgement == nil)
                // alert_notification has no response: after a request that has one, nothing came back for it.
                try await smsc.send(SMPPFrame(.enquireLink, sequenceNumber: 44))
                _ = try await Self.answer(to: 44, from: smsc)
                #expect(!smsc.received.contains { $0.frame.sequenceNumber == 43 })
            }
        }
    }

    /// The PDU the connector sent with `sequenceNumber` (an answer to the SMSC's request).
    private static func answer(to sequenceNumber: UInt32, from smsc: RawSMSC) async throws -> SMPPFrame {
        try await eventually("the answer to \(sequenceNumber)") {
            smsc.received.contains { $0.frame.sequenceNumber == sequenceNumber && $0.frame.commandID.isResponse }
        }
        return smsc.received.first { $0.frame.sequenceNumber == sequenceNumber && $0.frame.commandID.isResponse }!.frame
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
