import NIOCore
import SMPP
import SMSCSimulator
import Synchronization
import Testing

/// Where receipts go (a receiving session of the same login), how long they are kept, and how a
/// refused or unanswered deliver_sm is delivered again.
@Suite(.timeLimit(.minutes(1))) struct ReceiptRoutingTests {
    /// Quick redelivery; the response timeout stays long enough for an answer under load.
    static let fastRetries = SimulatorConfiguration.testing {
        $0.deliveryRetryInterval = 0.05
        $0.deliveryResponseTimeout = 5
    }

    @Test func aReceiptGoesToAReceiverOfTheSameLogin() async throws {
        try await withSimulator { simulator in
            let port = simulator.port!
            try await TestESME.with(port: port) { transmitter in
                try await TestESME.with(port: port) { receiver in
                    try await TestESME.with(port: port) { stranger in
                        try await transmitter.bind(.transmitter, systemID: "shop")
                        try await receiver.bind(.receiver, systemID: "shop")
                        try await stranger.bind(.receiver, systemID: "other")
                        let id = try #require(try await transmitter.request(submit("Hello")).messageID)
                        let (_, receipt) = try await receiver.deliverSM()
                        #expect(receipt.deliveryReceipt?.messageID == id)
                        #expect(try await never { !stranger.drain().isEmpty || !transmitter.drain().isEmpty })
                    }
                }
            }
        }
    }

    @Test func theSubmittingTransceiverIsPreferredOverOtherReceivers() async throws {
        try await withSimulator { simulator in
            let port = simulator.port!
            try await TestESME.with(port: port) { transceiver in
                try await TestESME.with(port: port) { receiver in
                    try await receiver.bind(.receiver, systemID: "shop")
                    try await transceiver.bind(.transceiver, systemID: "shop")
                    for text in ["one", "two", "three"] {
                        let id = try #require(try await transceiver.request(submit(text)).messageID)
                        #expect(try await transceiver.deliverSM().message.deliveryReceipt?.messageID == id)
                    }
                    #expect(receiver.drain().isEmpty)
                }
            }
        }
    }

    @Test func receiptsWaitUntilAReceiverBinds() async throws {
        try await withSimulator { simulator in
            let port = simulator.port!
            var ids: [String] = []
            try await TestESME.with(port: port) { transmitter in
                try await transmitter.bind(.transmitter, systemID: "shop")
                for text in ["one", "two"] {
                    ids.append(try #require(try await transmitter.request(submit(text)).messageID))
                }
            }
            try await eventually("receipts to wait") { simulator.pendingDeliveries == 2 }
            // A receiver of another login does not take them.
            try await TestESME.with(port: port) { stranger in
                try await stranger.bind(.receiver, systemID: "other")
                #expect(try await never { !stranger.drain().isEmpty })
            }
            try await TestESME.with(port: port) { receiver in
                try await receiver.bind(.receiver, systemID: "shop")
                let first = try await receiver.deliverSM().message.deliveryReceipt?.messageID
                let second = try await receiver.deliverSM().message.deliveryReceipt?.messageID
                #expect([first, second] == ids)
            }
            #expect(simulator.pendingDeliveries == 0)
        }
    }

    @Test func aTemporaryErrorIsRetried() async throws {
        let answers = Mutex(0)
        try await withSimulator(Self.fastRetries) { simulator in
            try await TestESME.with(
                port: simulator.port!,
                deliverResponse: { _ in
                    answers.withLock { count in
                        count += 1
                        return count == 1 ? .temporaryAppError : .ok
                    }
                }
            ) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let first = try await esme.deliverSM()
                let second = try await esme.deliverSM()
                #expect(first.message.deliveryReceipt?.messageID == id)
                #expect(second.message.deliveryReceipt?.messageID == id)
                #expect(second.frame.sequenceNumber != first.frame.sequenceNumber)
                try await eventually("the receipt to be acknowledged") {
                    simulator.message(id: id)?.receipt == .acknowledged
                }
                let counters = simulator.counters
                #expect(counters.receiptsSent == 2)
                #expect(counters.receiptRetries == 1)
                #expect(counters.receiptsAcknowledged == 1)
            }
        }
    }

    @Test func anUnansweredDeliverSMIsSentAgain() async throws {
        let answers = Mutex(0)
        let configuration = SimulatorConfiguration.testing {
            $0.deliveryRetryInterval = 0.05
            $0.deliveryResponseTimeout = 0.5
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(
                port: simulator.port!,
                deliverResponse: { _ in
                    answers.withLock { count in
                        count += 1
                        return count == 1 ? nil : .ok
                    }
                }
            ) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                _ = try await esme.deliverSM()
                let again = try await esme.deliverSM(timeout: .seconds(2))
                #expect(again.message.deliveryReceipt?.messageID == id)
                try await eventually("the receipt to be acknowledged") {
                    simulator.message(id: id)?.receipt == .acknowledged
                }
            }
        }
    }

    @Test func aPermanentErrorIsNotRetried() async throws {
        try await withSimulator(Self.fastRetries) { simulator in
            try await TestESME.with(port: simulator.port!, deliverResponse: { _ in .permanentAppError }) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                _ = try await esme.deliverSM()
                try await eventually("the receipt to fail") { simulator.message(id: id)?.receipt == .failed }
                #expect(try await never(for: .milliseconds(300)) { !esme.drain().isEmpty })
                #expect(simulator.counters.receiptsFailed == 1)
            }
        }
    }

    @Test func deliveryStopsAfterTheConfiguredAttempts() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.deliveryRetryInterval = 0.02
            $0.deliveryAttempts = 3
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!, deliverResponse: { _ in .temporaryAppError }) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                for _ in 1...3 { _ = try await esme.deliverSM() }
                try await eventually("the receipt to fail") { simulator.message(id: id)?.receipt == .failed }
                #expect(try await never(for: .milliseconds(200)) { !esme.drain().isEmpty })
                #expect(simulator.counters.receiptsSent == 3)
            }
        }
    }

    @Test func anUnansweredReceiptMovesToTheNextSessionWhenTheConnectionDrops() async throws {
        try await withSimulator(Self.fastRetries) { simulator in
            let port = simulator.port!
            var id = ""
            try await TestESME.with(port: port, deliverResponse: { _ in nil }) { silent in
                try await silent.bind(.transceiver, systemID: "shop")
                id = try #require(try await silent.request(submit("Hello")).messageID)
                _ = try await silent.deliverSM()
            }
            try await TestESME.with(port: port) { receiver in
                try await receiver.bind(.receiver, systemID: "shop")
                #expect(try await receiver.deliverSM().message.deliveryReceipt?.messageID == id)
                try await eventually("the receipt to be acknowledged") {
                    simulator.message(id: id)?.receipt == .acknowledged
                }
            }
        }
    }

    @Test func aReceiptForASessionThatUnboundGoesToAnotherReceiver() async throws {
        // The unbind must be handled before the receipt is due: a second is plenty.
        try await withSimulator(.testing { $0.receipts.delay = 1 }) { simulator in
            let port = simulator.port!
            try await TestESME.with(port: port) { first in
                try await TestESME.with(port: port) { second in
                    try await first.bind(.transceiver, systemID: "shop")
                    try await second.bind(.receiver, systemID: "shop")
                    let id = try #require(try await first.request(submit("Hello")).messageID)
                    _ = try await first.request(.unbind)
                    #expect(try await second.deliverSM(timeout: .seconds(10)).message.deliveryReceipt?.messageID == id)
                }
            }
        }
    }
}
