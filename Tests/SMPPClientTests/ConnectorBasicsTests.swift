import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator
import Testing

@Suite(.timeLimit(.minutes(1))) struct ConnectorBasicsTests {
    @Test func submitsAndReceivesTheReceipt() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let collector = EventCollector(connector)
                let results = try await connector.send(.text("Hello", from: "Shop", to: "+447700900123"))
                #expect(results.count == 1)
                let result = try #require(results.first)
                #expect(!result.messageID.isEmpty)

                let stored = try #require(simulator.message(id: result.messageID))
                #expect(stored.text == "Hello")
                #expect(stored.source == Address(ton: .alphanumeric, npi: .unknown, "Shop"))
                #expect(stored.destination == Address(ton: .international, npi: .isdn, "447700900123"))
                #expect(stored.registeredDelivery == .receipt)

                try await eventually("the receipt") { collector.receipts.count == 1 }
                let (event, receipt) = collector.receipts[0]
                #expect(event.messageIDCandidates.contains(result.messageIDKey))
                #expect(receipt.state == .delivered)
                try await eventually("the receipt to be acknowledged") {
                    simulator.counters.receiptsAcknowledged == 1
                }
            }
        }
    }

    @Test func receiptWithQuirkyIDStillMatches() async throws {
        // Hex id in submit_sm_resp, zero-padded decimal in the receipt.
        let simulatorConfiguration = SimulatorConfiguration.forClientTests {
            $0.messageIDFormat = .hex
            $0.receiptIDFormat = .decimal
            $0.receiptIDWidth = 16
        }
        try await withSimulator(simulatorConfiguration) { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let collector = EventCollector(connector)
                let result = try await connector.send(.text("Quirk", from: "Shop", to: "447700900123"))[0]
                try await eventually("the receipt") { collector.receipts.count == 1 }
                let (event, receipt) = collector.receipts[0]
                #expect(receipt.messageID != result.messageID, "the simulator wrote the id differently")
                #expect(event.messageIDCandidates.contains(result.messageIDKey))
            }
        }
    }

    @Test func longTextGoesAsConcatenatedParts() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let text = String(repeating: "Long message. ", count: 30)  // 420 GSM-7 characters: 3 parts
                let results = try await connector.send(.text(text, from: "Shop", to: "447700900123"))
                #expect(results.count == 3)
                let parts = results.compactMap { simulator.message(id: $0.messageID) }
                #expect(parts.map { $0.concatenation?.sequence } == [1, 2, 3])
                #expect(parts.compactMap(\.text).joined() == text)
            }
        }
    }

    @Test func unicodeTextGoesAsUCS2() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let result = try await connector.send(.text("Привет 👋", from: "Shop", to: "447700900123"))[0]
                let stored = try #require(simulator.message(id: result.messageID))
                #expect(stored.dataCoding == .ucs2)
                #expect(stored.text == "Привет 👋")
            }
        }
    }

    @Test func textsOverTheMaximumPartsAreRefusedNotCut() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!) { $0.maximumParts = 2 }) { connector in
                let text = String(repeating: "x", count: 307)  // needs 3 parts
                #expect(throws: SMPPClientError.self) {
                    try connector.makeParts(for: .text(text, from: "Shop", to: "4477"))
                }
                #expect(throws: SMPPClientError.self) {
                    try connector.makeParts(for: .text("€uro", from: "Shop", to: "4477", encoding: .latin1))
                }
                #expect(simulator.counters.submitsReceived == 0)
            }
        }
    }

    @Test func invalidSubmitsAreRefusedBeforeSending() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let tooLong = SubmitSM(source: Address("TooLongSenderNameForSMPP"), destination: Address("4477"))
                await #expect(throws: SMPPClientError.self) { try await connector.submit(tooLong) }
            }
        }
    }

    /// The parts of a message have their results together; a message with none has nothing to
    /// wait for, and one with a part refused up front fails whole, before anything is sent.
    @Test func partsHaveTheirResultsTogether() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                let long = try connector.makeParts(
                    for: .text(String(repeating: "long ", count: 70), from: "Shop", to: "447700900002")
                )
                #expect(long.count == 3)
                let results = await connector.submit(parts: long)
                let ids = try results.map { try $0.get().messageID }
                #expect(Set(ids).count == 3)
                #expect(ids.allSatisfy { simulator.message(id: $0) != nil })

                #expect(await connector.submit(parts: []).isEmpty)

                let refused = SubmitSM(source: Address("TooLongSenderNameForSMPP"), destination: Address("4477"))
                let mixed = await connector.submit(parts: [long[0], refused])
                #expect(mixed.count == 2)
                #expect(mixed.allSatisfy { (try? $0.get()) == nil })
                #expect(simulator.counters.submitsReceived == 3, "nothing of the refused message was sent")
            }
        }
    }

    @Test func configurationErrorsNameTheKey() {
        var configuration = ConnectorConfiguration.forTests(port: 2775)
        configuration.window = 0
        #expect(throws: ConfigurationError.self) { try SMPPConnector(configuration: configuration) }
        do {
            try configuration.validate()
        } catch {
            #expect(error.key == "window")
        }
        configuration = .forTests(port: 2775)
        configuration.endpoints = []
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration = .forTests(port: 70000)
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
