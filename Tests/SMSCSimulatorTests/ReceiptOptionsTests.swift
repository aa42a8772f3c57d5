import Foundation
import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// The receipt knobs: outcomes with their err codes and TLVs, which registered_delivery values get
/// a receipt, per-part or whole-message receipts, intermediate notifications, message-id formats and
/// the receipt-id quirks, the delay and the date format.
@Suite(.timeLimit(.minutes(1))) struct ReceiptOptionsTests {
    struct ExpectedOutcome: Sendable, CustomTestStringConvertible {
        var stat: String
        var err: String
        var state: MessageState
        var networkError: UInt16?
        var testDescription: String { self.stat }
    }

    @Test(arguments: [
        ExpectedOutcome(stat: "DELIVRD", err: "000", state: .delivered, networkError: nil),
        ExpectedOutcome(stat: "UNDELIV", err: "001", state: .undeliverable, networkError: 1),
        ExpectedOutcome(stat: "EXPIRED", err: "027", state: .expired, networkError: 27),
        ExpectedOutcome(stat: "REJECTD", err: "013", state: .rejected, networkError: 13),
    ])
    func eachOutcomeHasItsErrCodeAndTLVs(_ expected: ExpectedOutcome) async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.receipts.outcomes = try! OutcomeMix(parsing: "\(expected.stat)=1")
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let (_, receipt) = try await esme.deliverSM()
                #expect(receipt.esmClass.isReceipt)
                #expect(receipt.tlvs.receiptedMessageID == id)
                #expect(receipt.tlvs.messageState == expected.state)
                #expect(receipt.tlvs.networkErrorCode?.errorCode == expected.networkError)
                let text = try #require(receipt.deliveryReceipt?.text)
                #expect(text.stat == expected.stat)
                #expect(text.error == expected.err)
                #expect(text.id == id)
                #expect(text.submitted == 1)
                #expect(simulator.message(id: id)?.outcome.state == expected.state)
            }
        }
    }

    @Test func theOutcomeMixDrawsEveryOutcomeInProportion() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.receipts.outcomes = try! OutcomeMix(parsing: "DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2")
            $0.seed = 7
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                var stats: [String: Int] = [:]
                for index in 0..<400 {
                    let id = try #require(try await esme.request(submit("n\(index)")).messageID)
                    let receipt = try #require(try await esme.deliverSM().message.deliveryReceipt)
                    #expect(receipt.messageID == id)
                    stats[receipt.stat ?? "?", default: 0] += 1
                }
                #expect(Set(stats.keys) == ["DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"])
                #expect((320...390).contains(stats["DELIVRD"] ?? 0))
                #expect((stats["UNDELIV"] ?? 0) > (stats["REJECTD"] ?? 0) / 2)
            }
        }
    }

    @Test func aFailureOnlyRequestGetsReceiptsForFailuresOnly() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.receipts.outcomes = try! OutcomeMix(parsing: "DELIVRD=1,UNDELIV=1")
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                var ids: [String] = []
                for index in 0..<20 {
                    let response = try await esme.request(
                        submit("n\(index)", registeredDelivery: .receiptOnFailure)
                    )
                    ids.append(try #require(response.messageID))
                }
                let failed = ids.filter { simulator.message(id: $0)?.outcome.state == .undeliverable }
                #expect(!failed.isEmpty && failed.count < ids.count)
                var received: [String] = []
                for _ in failed {
                    received.append(try #require(try await esme.deliverSM().message.deliveryReceipt).messageID)
                }
                #expect(Set(received) == Set(failed))
                #expect(try await never { !esme.drain().isEmpty })
            }
        }
    }

    @Test func noReceiptIsSentWhenNoneIsRequested() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello", registeredDelivery: .none)).messageID)
                #expect(try await never { !esme.drain().isEmpty })
                #expect(simulator.message(id: id)?.receipt == .notRequested)
            }
        }
    }

    @Test func eachPartOfAConcatenatedMessageGetsItsOwnIdAndReceipt() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let parts = try longMessage(String(repeating: "All work and no play. ", count: 18), reference: 42)
                #expect(parts.count == 3)
                var ids: [String] = []
                for part in parts { ids.append(try #require(try await esme.request(.submitSM(part)).messageID)) }
                #expect(Set(ids).count == 3)
                var receipted: [String] = []
                for _ in parts {
                    receipted.append(try #require(try await esme.deliverSM().message.deliveryReceipt).messageID)
                }
                #expect(Set(receipted) == Set(ids))
                #expect(simulator.message(id: ids[1])?.concatenation?.sequence == 2)
            }
        }
    }

    @Test func theWholeMessageModeGivesEveryPartOneIdAndOneReceipt() async throws {
        try await withSimulator(.testing { $0.receipts.mode = .whole }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let parts = try longMessage(String(repeating: "All work and no play. ", count: 18), reference: 42)
                var ids: [String] = []
                for part in parts { ids.append(try #require(try await esme.request(.submitSM(part)).messageID)) }
                #expect(Set(ids).count == 1)
                let receipt = try #require(try await esme.deliverSM().message.deliveryReceipt)
                #expect(receipt.messageID == ids[0])
                #expect(try await never { !esme.drain().isEmpty })
                #expect(simulator.messages().count == 3)
                #expect(simulator.counters.receiptsSent == 1)
            }
        }
    }

    @Test func theWholeMessageModeAlsoGroupsSARParts() async throws {
        try await withSimulator(.testing { $0.receipts.mode = .whole }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let parts = try longMessage(
                    String(repeating: "All work and no play. ", count: 10),
                    reference: 300,
                    method: .sar
                )
                #expect(parts.count == 2)
                var ids: [String] = []
                for part in parts { ids.append(try #require(try await esme.request(.submitSM(part)).messageID)) }
                #expect(ids[0] == ids[1])
                #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == ids[0])
                #expect(try await never { !esme.drain().isEmpty })
            }
        }
    }

    @Test(arguments: [MessageState.enroute, .accepted])
    func anIntermediateNotificationPrecedesTheReceiptWhenAskedFor(_ state: MessageState) async throws {
        try await withSimulator(.testing { $0.receipts.intermediateState = state }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let requested = RegisteredDelivery(
                    rawValue: RegisteredDelivery.receipt.rawValue | RegisteredDelivery.intermediateNotification.rawValue
                )
                let id = try #require(try await esme.request(submit("Hello", registeredDelivery: requested)).messageID)
                let intermediate = try await esme.deliverSM().message
                #expect(intermediate.esmClass.messageType == ESMClass.intermediateNotification.rawValue)
                #expect(intermediate.tlvs.messageState == state)
                let info = try #require(intermediate.deliveryReceipt)
                #expect(info.isIntermediate)
                #expect(info.messageID == id)
                #expect(info.stat == state.receiptStat)

                let final = try await esme.deliverSM().message
                #expect(final.esmClass.messageType == ESMClass.deliveryReceipt.rawValue)
                #expect(final.deliveryReceipt?.state == .delivered)
            }
        }
    }

    @Test(arguments: [
        (MessageIDFormat.hex, #"^[0-9A-F]+$"#),
        (.decimal, #"^[0-9]{10}$"#),
        (.uuid, #"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#),
    ])
    func messageIdsHaveTheConfiguredFormat(_ format: MessageIDFormat, _ pattern: String) async throws {
        try await withSimulator(.testing { $0.messageIDFormat = format }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let regex = try Regex(pattern)
                var ids: Set<String> = []
                for index in 0..<5 {
                    let id = try #require(try await esme.request(submit("n\(index)")).messageID)
                    #expect(id.wholeMatch(of: regex) != nil, "\(id)")
                    #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == id)
                    ids.insert(id)
                }
                #expect(ids.count == 5)
            }
        }
    }

    @Test func receiptsCanWriteAHexIdInDecimal() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.messageIDFormat = .hex
            $0.receiptIDFormat = .decimal
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let receipt = try await esme.deliverSM().message
                let expected = String(try #require(UInt64(id, radix: 16)))
                #expect(receipt.tlvs.receiptedMessageID == expected)
                #expect(receipt.deliveryReceipt?.text?.id == expected)
            }
        }
    }

    @Test func receiptsCanWriteADecimalIdInHexWithLeadingZeros() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.messageIDFormat = .decimal
            $0.receiptIDFormat = .hex
            $0.receiptIDWidth = 16
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let receipted = try #require(try await esme.deliverSM().message.tlvs.receiptedMessageID)
                #expect(receipted.utf8.count == 16)
                #expect(receipted.hasPrefix("0"))
                #expect(UInt64(receipted, radix: 16) == UInt64(id))
            }
        }
    }

    @Test func aReceiptIdAlreadyInTheAskedBaseIsLeftAlone() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.messageIDFormat = .decimal
            $0.receiptIDFormat = .decimal
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                #expect(try await esme.deliverSM().message.tlvs.receiptedMessageID == id)
            }
        }
    }

    @Test func theReceiptWaitsForTheConfiguredDelay() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 0.3 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let clock = ContinuousClock()
                let start = clock.now
                _ = try await esme.request(submit("Hello"))
                _ = try await esme.deliverSM()
                let elapsed = clock.now - start
                #expect(elapsed >= .milliseconds(290))
                #expect(elapsed < .seconds(2))
            }
        }
    }

    @Test func aShorterDelaySetWhileRunningLetsNewReceiptsOvertakeOlderOnes() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 1.5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let slow = try #require(try await esme.request(submit("slow")).messageID)
                simulator.reconfigure { $0.receipts.delay = 0.1 }
                let fast = try #require(try await esme.request(submit("fast")).messageID)
                let clock = ContinuousClock()
                let start = clock.now
                #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == fast)
                #expect(clock.now - start < .seconds(1))
                #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == slow)
            }
        }
    }

    @Test func receiptDatesCanCarrySeconds() async throws {
        try await withSimulator(.testing { $0.receipts.dateDigits = 12 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                _ = try await esme.request(submit("Hello"))
                let text = try #require(try await esme.deliverSM().message.deliveryReceipt?.text)
                #expect(text.raw.submitDate?.utf8.count == 12)
                #expect(text.raw.doneDate?.utf8.count == 12)
                #expect(text.submitDate != nil)
            }
        }
    }

    @Test func theReceiptTextQuotesTheMessageInPlainCharacters() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let message = SubmitSM(
                    source: Address(ton: .alphanumeric, npi: .unknown, "Shop"),
                    destination: Address(ton: .international, npi: .isdn, "79001234567"),
                    registeredDelivery: .receipt,
                    dataCoding: .ucs2,
                    shortMessage: ByteBuffer(bytes: UCS2.encode("Привет, this is a long text"))
                )
                _ = try await esme.request(.submitSM(message))
                let receipt = try await esme.deliverSM().message
                #expect(receipt.dataCoding == .smscDefault)
                // data_coding 0 carries GSM/ASCII octets only: no UTF-8 sequences.
                #expect(receipt.shortMessage.readableBytesView.allSatisfy { $0 < 0x80 })
                #expect(receipt.deliveryReceipt?.text?.text?.count == 20)
            }
        }
    }
}

/// The parts of a long GSM-7 text as submit_sm bodies asking for receipts.
func longMessage(
    _ text: String,
    reference: UInt16,
    method: ConcatenationMethod = .udh8,
    encoding: TextEncoding = .gsm7
) throws -> [SubmitSM] {
    let template = SubmitSM(
        source: Address(ton: .alphanumeric, npi: .unknown, "Shop"),
        destination: Address(ton: .international, npi: .isdn, "447700900123"),
        registeredDelivery: .receipt
    )
    return try MessageSegmenter(configuration: .init(method: method))
        .segments(for: text, encoding: encoding, reference: reference)
        .map { template.applying($0) }
}
