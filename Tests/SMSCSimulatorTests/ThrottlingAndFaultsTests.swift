import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// Throughput limits (`--max-rate`, `--window`, `--resp-delay`) and injected faults (errors, silence,
/// dropped connections, receipts before the submit response).
@Suite(.timeLimit(.minutes(1))) struct ThrottlingAndFaultsTests {
    @Test func submitsAboveTheRateAreThrottled() async throws {
        try await withSimulator(.testing { $0.throttling.maxRate = 1 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                var sequenceNumbers: [UInt32] = []
                for index in 0..<6 {
                    sequenceNumbers.append(try await esme.send(submit("n\(index)", registeredDelivery: .none)))
                }
                var statuses: [CommandStatus] = []
                for sequenceNumber in sequenceNumbers {
                    statuses.append(
                        try await esme.frame("submit_sm_resp") { $0.sequenceNumber == sequenceNumber }.commandStatus
                    )
                }
                // A bucket of 1 token refilled once a second: the first passes, the burst beyond is
                // throttled (one may pass on a token refilled while the burst arrives).
                #expect(statuses.first == .ok)
                #expect(statuses.dropFirst().filter { $0 == .throttled }.count >= 4)
                #expect(simulator.counters.throttled >= 4)
                // Tokens come back at the configured rate.
                try await Task.sleep(for: .milliseconds(1100))
                #expect(try await esme.request(submit("later")).commandStatus == .ok)
            }
        }
    }

    @Test func requestsBeyondTheWindowAreRefused() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.throttling.window = 2
            $0.throttling.responseDelay = 0.5
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                let first = try await esme.send(submit("one"))
                let second = try await esme.send(submit("two"))
                let third = try await esme.send(submit("three"))
                let refused = try await esme.frame("the third response") { $0.sequenceNumber == third }
                #expect(refused.commandStatus == .messageQueueFull)
                for sequenceNumber in [first, second] {
                    let response = try await esme.frame("a delayed response") { $0.sequenceNumber == sequenceNumber }
                    #expect(response.commandStatus == .ok)
                }
                #expect(simulator.counters.windowExceeded == 1)
                #expect(try await esme.request(submit("four")).commandStatus == .ok)
            }
        }
    }

    @Test func neverAnsweredSubmitsHoldTheirPlaceInTheWindow() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.throttling.window = 2
            $0.faults.noResponseRate = 1
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                try await esme.sendUnanswered(["one", "two"], to: simulator)
                // Both are still unacknowledged: the window is full for good on this session.
                #expect(try await esme.request(submit("three")).commandStatus == .messageQueueFull)
                #expect(try await esme.request(submit("four")).commandStatus == .messageQueueFull)
                #expect(simulator.counters.windowExceeded == 2)
                #expect(simulator.counters.faultUnanswered == 2)
                // The window is per session: another one submits.
                try await TestESME.with(port: simulator.port!) { other in
                    try await other.bind(.transmitter)
                    #expect(try await other.request(submit("five")).commandStatus == .ok)
                }
            }
        }
    }

    @Test func aSubmitMultiTakesAPlaceInTheWindowAndIsRefusedBeyondIt() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.throttling.window = 1
            $0.throttling.responseDelay = 0.3
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                // A submit_multi waiting for its delayed response fills the window of one…
                let multi = try await esme.send(submitMulti("Hello all"))
                #expect(try await esme.request(submit("one")).commandStatus == .messageQueueFull)
                let answered = try await esme.frame("the delayed submit_multi_resp") { $0.sequenceNumber == multi }
                #expect(answered.commandID == .submitMultiResp)
                #expect(answered.commandStatus == .ok)
                // …and a submit_multi beyond the window is refused with its own response.
                let single = try await esme.send(submit("two"))
                let refused = try await esme.request(submitMulti("Hello again"))
                #expect(refused.commandID == .submitMultiResp)
                #expect(refused.commandStatus == .messageQueueFull)
                #expect(
                    try await esme.frame("the delayed submit_sm_resp") { $0.sequenceNumber == single }.commandStatus
                        == .ok
                )
                #expect(simulator.counters.windowExceeded == 2)
                #expect(simulator.counters.submitsReceived == 4)
            }
        }
    }

    @Test func aSubmitMultiIsRateLimited() async throws {
        try await withSimulator(.testing { $0.throttling.maxRate = 0.1 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                // One token, refilled every ten seconds: the first submit_multi takes it.
                #expect(try await esme.request(submitMulti("one")).commandStatus == .ok)
                let throttled = try await esme.request(submitMulti("two"))
                #expect(throttled.commandID == .submitMultiResp)
                #expect(throttled.commandStatus == .throttled)
                #expect(try await esme.request(submit("three")).commandStatus == .throttled)
                #expect(simulator.counters.throttled == 2)
                #expect(simulator.counters.submitsReceived == 3)
            }
        }
    }

    @Test func responsesWaitForTheResponseDelay() async throws {
        try await withSimulator(.testing { $0.throttling.responseDelay = 0.2 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                let clock = ContinuousClock()
                let start = clock.now
                #expect(try await esme.request(submit("Hello")).commandStatus == .ok)
                #expect(clock.now - start >= .milliseconds(190))
            }
        }
    }

    @Test func aDelayedResponseStillPrecedesItsReceipt() async throws {
        try await withSimulator(.testing { $0.throttling.responseDelay = 0.1 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let sequenceNumber = try await esme.send(submit("Hello"))
                let first = try await esme.frame("the first PDU") { _ in true }
                #expect(first.commandID == .submitSMResp)
                #expect(first.sequenceNumber == sequenceNumber)
                #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == first.messageID)
            }
        }
    }

    @Test func aRateSetWhileRunningAppliesToBoundSessions() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                simulator.reconfigure { $0.throttling.maxRate = 0.1 }
                // One token, refilled every ten seconds.
                #expect(try await esme.request(submit("one", registeredDelivery: .none)).commandStatus == .ok)
                #expect(try await esme.request(submit("two", registeredDelivery: .none)).commandStatus == .throttled)
            }
        }
    }

    @Test func aFractionOfSubmitsIsAnsweredWithTheChosenError() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.faults.errorRate = 0.5
            $0.faults.errorStatus = CommandStatus(rawValue: 0x400)
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                var statuses: [CommandStatus: Int] = [:]
                for index in 0..<100 {
                    statuses[try await esme.request(submit("n\(index)")).commandStatus, default: 0] += 1
                }
                #expect(Set(statuses.keys) == [.ok, CommandStatus(rawValue: 0x400)])
                #expect((30...70).contains(statuses[.ok] ?? 0))
                #expect(simulator.counters.faultErrors == statuses[CommandStatus(rawValue: 0x400)])
            }
        }
    }

    @Test func everySubmitIsLeftUnansweredAtRateOne() async throws {
        try await withSimulator(.testing { $0.faults.noResponseRate = 1 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                try await esme.send(submit("Hello"))
                #expect(try await never(for: .milliseconds(300)) { !esme.drain().isEmpty })
                // The session itself is alive.
                #expect(try await esme.request(.enquireLink).commandStatus == .ok)
                #expect(simulator.counters.faultUnanswered == 1)
                #expect(simulator.messages().isEmpty)
            }
        }
    }

    @Test func aFractionOfSubmitsIsNeverAnswered() async throws {
        try await withSimulator(.testing { $0.faults.noResponseRate = 0.3 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                var sent: Set<UInt32> = []
                for index in 0..<100 {
                    sent.insert(try await esme.send(submit("n\(index)", registeredDelivery: .none)))
                }
                // Responses leave in the order of the requests: once the enquire_link is answered,
                // every submit that will ever be answered has been.
                #expect(try await esme.request(.enquireLink).commandStatus == .ok)
                let answered = esme.drain().compactMap { output -> UInt32? in
                    guard case .frame(let frame) = output, frame.commandID == .submitSMResp else { return nil }
                    #expect(frame.commandStatus == .ok)
                    return frame.sequenceNumber
                }
                #expect(Set(answered).isSubset(of: sent))
                #expect((50...90).contains(answered.count), "\(answered.count) of 100 answered at rate 0.3")
                #expect(simulator.counters.faultUnanswered == 100 - answered.count)
                #expect(simulator.messages().count == answered.count)
            }
        }
    }

    @Test func theConnectionDropsAfterTheConfiguredNumberOfPDUs() async throws {
        try await withSimulator(.testing { $0.faults.dropAfterPDUs = 3 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                // PDUs 1 to 3 are handled (the third one too), then the connection closes.
                #expect(try await esme.bind(.transmitter).commandStatus == .ok)
                #expect(try await esme.request(submit("one")).commandStatus == .ok)
                #expect(try await esme.request(submit("two")).commandStatus == .ok)
                try await esme.closed()
                #expect(simulator.counters.droppedConnections == 1)
                #expect(simulator.counters.messagesAccepted == 2)
            }
        }
    }

    @Test func aReceiptOvertakesTheSubmitResponseAtRateOne() async throws {
        try await withSimulator(.testing { $0.faults.earlyReceiptRate = 1 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let sequenceNumber = try await esme.send(submit("Hello"))
                let first = try await esme.frame("the first PDU") { _ in true }
                #expect(first.commandID == .deliverSM)
                let response = try await esme.frame("submit_sm_resp") { $0.sequenceNumber == sequenceNumber }
                guard case .deliverSM(let receipt) = first.pdu else { return }
                #expect(receipt.deliveryReceipt?.messageID == response.messageID)
            }
        }
    }

    @Test func aFractionOfReceiptsOvertakesTheSubmitResponse() async throws {
        try await withSimulator(.testing { $0.faults.earlyReceiptRate = 0.5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                var early = 0
                for index in 0..<40 {
                    let sequenceNumber = try await esme.send(submit("n\(index)"))
                    let first = try await esme.frame("the response or the receipt of #\(index)") {
                        $0.sequenceNumber == sequenceNumber || $0.commandID == .deliverSM
                    }
                    let response =
                        first.commandID == .deliverSM
                        ? try await esme.frame("submit_sm_resp #\(index)") { $0.sequenceNumber == sequenceNumber }
                        : first
                    let receipt = first.commandID == .deliverSM ? first : try await esme.deliverSM().frame
                    if first.commandID == .deliverSM { early += 1 }
                    guard case .deliverSM(let message) = receipt.pdu else { return }
                    #expect(response.commandID == .submitSMResp)
                    #expect(message.deliveryReceipt?.messageID == response.messageID, "#\(index)")
                }
                #expect((8...32).contains(early), "\(early) of 40 receipts early at rate 0.5")
            }
        }
    }

    @Test func limitsCanChangeWhileRunning() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                #expect(try await esme.request(submit("one")).commandStatus == .ok)
                simulator.reconfigure { $0.faults.errorRate = 1 }
                #expect(try await esme.request(submit("two")).commandStatus == .systemError)
                simulator.reconfigure { $0.faults.errorRate = 0 }
                #expect(try await esme.request(submit("three")).commandStatus == .ok)
            }
        }
    }
}
