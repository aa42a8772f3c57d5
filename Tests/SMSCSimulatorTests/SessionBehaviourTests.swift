import BridgeTestSupport
import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// Binding, bind-state rules, enquire_link both ways, unbind both ways, and what the simulator does
/// with unknown, malformed and unframeable PDUs — all over TCP on loopback.
@Suite(.timeLimit(.minutes(1))) struct SessionBehaviourTests {
    @Test func bindSubmitAndReceiveTheReceipt() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let bound = try await esme.bind(.transceiver, systemID: "shop")
                #expect(bound.commandStatus == .ok)
                guard case .bindTransceiverResp(let response) = bound.pdu else {
                    Issue.record("expected bind_transceiver_resp, got \(bound.pdu)")
                    return
                }
                #expect(response.systemID == "smsc-sim")
                #expect(response.tlvs.scInterfaceVersion == .v34)

                let accepted = try await esme.request(submit("Hello"))
                #expect(accepted.commandStatus == .ok)
                let id = try #require(accepted.messageID)

                let (_, receipt) = try await esme.deliverSM()
                let info = try #require(receipt.deliveryReceipt)
                #expect(info.messageID == id)
                #expect(info.state == .delivered)
                #expect(receipt.source.value == "447700900123")
                #expect(receipt.destination.value == "Shop")

                let stored = try #require(simulator.message(id: id))
                #expect(stored.text == "Hello")
                #expect(stored.systemID == "shop")
            }
        }
    }

    @Test(arguments: BindType.allCases)
    func eachBindTypeIsAnsweredWithItsOwnResponse(_ type: BindType) async throws {
        try await withSimulator(.testing { $0.systemID = "SMSC01" }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let bound = try await esme.bind(type, systemID: "shop")
                #expect(bound.commandStatus == .ok)
                let (responseType, response) = try #require(bound.pdu.bindResponse)
                #expect(responseType == type)
                #expect(response.systemID == "SMSC01")
                #expect(response.tlvs.scInterfaceVersion == .v34)
                let sessions = await simulator.sessions()
                #expect(sessions.count == 1)
                #expect(sessions.first?.bindType == type)
                #expect(sessions.first?.systemID == "shop")
                #expect(sessions.first?.state == SessionState.bound(type).description)
            }
        }
    }

    @Test func submitOnAReceiverBindIsRefused() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let beforeBind = try await esme.request(submit("early"))
                #expect(beforeBind.commandStatus == .invalidBindStatus)
                try await esme.bind(.receiver)
                let refused = try await esme.request(submit("Hello"))
                #expect(refused.commandStatus == .invalidBindStatus)
                #expect(refused.commandID == .submitSMResp)
                let again = try await esme.request(BindType.transmitter.request(Bind(systemID: "esme", password: "x")))
                #expect(again.commandStatus == .alreadyBound)
                #expect(simulator.counters.messagesAccepted == 0)
            }
        }
    }

    @Test func queryCancelAndReplaceAreRefusedOnAReceiverBind() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.receiver)
                let source = Address(ton: .alphanumeric, npi: .unknown, "Shop")
                let query = try await esme.request(.querySM(QuerySM(messageID: "1", source: source)))
                #expect(query.commandID == .querySMResp)
                #expect(query.commandStatus == .invalidBindStatus)
                let cancel = try await esme.request(.cancelSM(CancelSM(messageID: "1", source: source)))
                #expect(cancel.commandID == .cancelSMResp)
                #expect(cancel.commandStatus == .invalidBindStatus)
                let data = try await esme.request(
                    .dataSM(DataSM(source: source, destination: Address(detecting: "447700900123")))
                )
                #expect(data.commandID == .dataSMResp)
                #expect(data.commandStatus == .invalidBindStatus)
            }
        }
    }

    @Test func deliverSMFromTheESMEIsRefused() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let response = try await esme.request(
                    .deliverSM(DeliverSM(source: Address("447700900123"), destination: Address("7726")))
                )
                #expect(response.commandID == .deliverSMResp)
                #expect(response.commandStatus == .invalidBindStatus)
            }
        }
    }

    @Test func aPeerBoundWithVersion33GetsNoTLVs() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let bound = try await esme.request(
                    BindType.transceiver.request(Bind(systemID: "old", password: "pw", interfaceVersion: .v33))
                )
                #expect(bound.commandStatus == .ok)
                #expect(bound.pdu.bindResponse?.response.tlvs.isEmpty == true)
                let accepted = try await esme.request(submit("Hello"))
                let id = try #require(accepted.messageID)
                let (_, receipt) = try await esme.deliverSM()
                #expect(receipt.tlvs.isEmpty)
                // The text alone still names the message and its state.
                let info = try #require(receipt.deliveryReceipt)
                #expect(info.messageID == id)
                #expect(info.messageIDOrigin == .text)
                #expect(info.state == .delivered)
            }
        }
    }

    @Test func enquireLinkIsAnsweredBeforeAndAfterBind() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let open = try await esme.request(.enquireLink)
                #expect(open.commandID == .enquireLinkResp)
                #expect(open.commandStatus == .ok)
                try await esme.bind(.transmitter)
                let bound = try await esme.request(.enquireLink)
                #expect(bound.commandID == .enquireLinkResp)
                #expect(bound.commandStatus == .ok)
                #expect(simulator.counters.enquireLinksReceived == 2)
            }
        }
    }

    @Test func theSimulatorSendsEnquireLinkAfterSilence() async throws {
        // The answer must come within one interval: 2 s leaves room for a machine busy with other tests.
        try await withSimulator(.testing { $0.enquireLinkInterval = 2 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let probe = try await esme.frame("enquire_link from the simulator") { $0.commandID == .enquireLink }
                #expect(probe.commandStatus == .ok)
                // Answered (by TestESME), so the session stays up and probes again later.
                _ = try await esme.frame("a second enquire_link") { $0.commandID == .enquireLink }
                #expect(esme.isActive)
                #expect(simulator.counters.enquireLinksSent >= 2)
            }
        }
    }

    @Test func aPeerThatDoesNotAnswerEnquireLinkIsDisconnected() async throws {
        try await withSimulator(.testing { $0.enquireLinkInterval = 0.05 }) { simulator in
            try await TestESME.with(port: simulator.port!, answersEnquireLink: false) { esme in
                // Not even bound: the simulator probes a silent connection in any state.
                _ = try await esme.frame("enquire_link from the simulator") { $0.commandID == .enquireLink }
                try await esme.closed(timeout: .seconds(5))
            }
        }
    }

    /// SMPP's session_init_timer: a connection that has not bound in time is closed; one that bound is not.
    @Test(arguments: [false, true])
    func theSessionInitTimeoutClosesOnlyAConnectionThatHasNotBound(binds: Bool) async throws {
        let logs = CapturedLogs()
        // Binding must beat the timer on a machine busy with other tests: 2 s for the session that binds.
        let timeout = binds ? 2.0 : 0.2
        let configuration = SimulatorConfiguration.testing {
            $0.sessionInitTimeout = timeout
            $0.enquireLinkInterval = 0
        }
        try await withSimulator(configuration, logs: logs) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                guard binds else {
                    try await esme.closed(timeout: .seconds(5))
                    return
                }
                try await esme.bind(.transceiver)
                try await Task.sleep(for: .seconds(timeout + 0.5))
                #expect(try await esme.request(.enquireLink).commandStatus == .ok)
                #expect(esme.isActive)
            }
        }
        #expect(logs.records("no bind within the session init timeout, closing").count == (binds ? 0 : 1))
    }

    @Test func aPeerThatKeepsTalkingIsNotDisconnectedForAMissingEnquireLinkResp() async throws {
        // The peer's PDU must arrive within one interval of the probe: 5 s leaves room for a
        // machine busy with other tests (2 s was too short for a slow one running the full suite).
        try await withSimulator(.testing { $0.enquireLinkInterval = 5 }) { simulator in
            try await TestESME.with(port: simulator.port!, answersEnquireLink: false) { esme in
                // Each probe goes unanswered, but the peer sends a PDU of its own right after it: any
                // PDU proves the link alive, so the simulator keeps the session and probes again
                // after the next silence (in any state, so no bind is needed).
                for _ in 1...2 {
                    _ = try await esme.frame(timeout: .seconds(15), "enquire_link from the simulator") {
                        $0.commandID == .enquireLink
                    }
                    #expect(try await esme.request(.enquireLink).commandStatus == .ok)
                }
                #expect(esme.isActive)
                #expect(simulator.counters.enquireLinksSent == 2)
            }
        }
    }

    @Test func aLostConnectionIsADisconnectionNotAnUnbind() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                try await esme.channel.close()
                try await eventually("the session to go") { simulator.counters.disconnections == 1 }
                #expect(simulator.counters.unbinds == 0)
            }
        }
    }

    @Test func unbindFromTheESMEIsAnsweredThenRequestsAreRefused() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver, systemID: "shop")
                let unbound = try await esme.request(.unbind)
                #expect(unbound.commandID == .unbindResp)
                #expect(unbound.commandStatus == .ok)
                let late = try await esme.request(submit("after unbind"))
                #expect(late.commandStatus == .invalidBindStatus)
                let sessions = await simulator.sessions()
                #expect(sessions.first?.state == "UNBOUND")
                #expect(simulator.counters.unbinds == 1)
                // The ESME closes after unbind_resp; the simulator forgets the session.
                try await esme.channel.close()
                try await eventually("the session to go") { await simulator.sessions().isEmpty }
                #expect(simulator.counters.disconnections == 1)
            }
        }
    }

    @Test func unbindFromTheSimulatorClosesTheConnectionOnceAnswered() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(await simulator.sessions().first?.id)
                #expect(simulator.unbindSession(id))
                let unbind = try await esme.frame("unbind") { $0.commandID == .unbind }
                #expect(unbind.commandStatus == .ok)
                // TestESME answers unbind_resp; the simulator then closes.
                try await esme.closed()
                #expect(!simulator.unbindSession(999))
            }
        }
    }

    @Test func anUnknownCommandGetsGenericNackAndTheSessionGoesOn() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                // 0x0000000A is not assigned in SMPP 3.4; 0x00000111 is SMPP 5.0's broadcast_sm.
                for commandID: UInt32 in [0x0000_000A, 0x0000_0111] {
                    let sequenceNumber = esme.nextSequenceNumber()
                    try await esme.sendRaw(
                        Wire.header(length: 20, commandID: commandID, sequenceNumber: sequenceNumber) + [1, 2, 3, 4]
                    )
                    let nack = try await esme.frame("generic_nack") { $0.sequenceNumber == sequenceNumber }
                    #expect(nack.commandID == .genericNack)
                    #expect(nack.commandStatus == .invalidCommandID)
                }
                let alive = try await esme.request(submit("still here"))
                #expect(alive.commandStatus == .ok)
                #expect(simulator.counters.genericNacksSent == 2)
            }
        }
    }

    @Test func aMalformedSubmitIsAnsweredWithItsResponseAndTheSessionGoesOn() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                // source_addr of 25 characters without a NUL within its 21 octets.
                let body: [UInt8] =
                    [0x00, 0x05, 0x00] + Array(repeating: UInt8(ascii: "A"), count: 25) + [0x00]
                    + [0x01, 0x01] + Array("447700900123".utf8) + [0x00]
                    + [0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02] + Array("Hi".utf8)
                let sequenceNumber = esme.nextSequenceNumber()
                try await esme.sendRaw(
                    Wire.header(length: 16 + body.count, commandID: 0x04, sequenceNumber: sequenceNumber) + body
                )
                let response = try await esme.frame("submit_sm_resp") { $0.sequenceNumber == sequenceNumber }
                #expect(response.commandID == .submitSMResp)
                #expect(response.commandStatus == .invalidSourceAddress)
                let alive = try await esme.request(submit("still here"))
                #expect(alive.commandStatus == .ok)
                #expect(simulator.counters.malformedPDUs == 1)
            }
        }
    }

    @Test func anSMLengthBeyondTheBodyIsAnsweredWithInvalidMessageLength() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                // sm_length says 100, two octets follow.
                let body: [UInt8] =
                    [0x00, 0x05, 0x00] + Array("Shop".utf8) + [0x00]
                    + [0x01, 0x01] + Array("447700900123".utf8) + [0x00]
                    + [0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 100] + Array("Hi".utf8)
                let sequenceNumber = esme.nextSequenceNumber()
                try await esme.sendRaw(
                    Wire.header(length: 16 + body.count, commandID: 0x04, sequenceNumber: sequenceNumber) + body
                )
                let response = try await esme.frame("submit_sm_resp") { $0.sequenceNumber == sequenceNumber }
                #expect(response.commandID == .submitSMResp)
                #expect(response.commandStatus == .invalidMessageLength)
                #expect(try await esme.request(.enquireLink).commandStatus == .ok)
            }
        }
    }

    @Test func aFramingErrorGetsGenericNackThenTheConnectionCloses() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                // command_length 8 is below the 16-octet header: framing is lost, and so is the header,
                // so the sequence number is 0 (SMPP.md §1.5).
                try await esme.sendRaw(Wire.header(length: 8, commandID: 0x15, sequenceNumber: 77))
                let nack = try await esme.frame("generic_nack") { $0.commandID == .genericNack }
                #expect(nack.commandStatus == .invalidCommandLength)
                #expect(nack.sequenceNumber == 0)
                try await esme.closed()
                #expect(simulator.counters.genericNacksSent == 1)
            }
        }
    }

    @Test func aPDUAboveTheMaximumLengthIsAFramingError() async throws {
        try await withSimulator(.testing { $0.maximumPDULength = 1024 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.sendRaw(Wire.header(length: 5000, commandID: 0x04, sequenceNumber: 3))
                let nack = try await esme.frame("generic_nack") { $0.commandID == .genericNack }
                #expect(nack.commandStatus == .invalidCommandLength)
                // The header itself was whole: the nack names the PDU's sequence number.
                #expect(nack.sequenceNumber == 3)
                try await esme.closed()
            }
        }
    }

    @Test func aResponseWithoutARequestIsIgnored() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                try await esme.send(.submitSMResp(SubmitSMResponse(messageID: "X")), sequenceNumber: 4242)
                let alive = try await esme.request(.enquireLink)
                #expect(alive.commandStatus == .ok)
                #expect(esme.drain().isEmpty)
            }
        }
    }

    @Test func theLogNamesEachStepOfASession() async throws {
        let logs = CapturedLogs()
        try await withSimulator(logs: logs) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver, systemID: "shop")
                let accepted = try await esme.request(submit("Hello"))
                let id = try #require(accepted.messageID)
                _ = try await esme.deliverSM()
                _ = try await esme.request(.unbind)
                try await esme.channel.close()
                try await eventually("disconnect logged") { !logs.records("disconnect").isEmpty }

                #expect(logs.records("connect").count == 1)
                #expect(logs.records("bind").first?.metadata["smpp.system_id"] == "shop")
                let submitted = try #require(logs.records("submit_sm").first)
                #expect(submitted.metadata["source"] == "Shop")
                #expect(submitted.metadata["destination"] == "447700900123")
                #expect(submitted.metadata["message.id"] == id)
                let receipt = try #require(logs.records("receipt sent").first)
                #expect(receipt.metadata["message.id"] == id)
                #expect(receipt.metadata["stat"] == "DELIVRD")
                #expect(logs.records("unbind").first?.metadata["smpp.system_id"] == "shop")
                #expect(logs.records("disconnect").first?.metadata["smpp.system_id"] == "shop")
            }
        }
    }
}
