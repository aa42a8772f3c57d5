import NIOCore
import SMPP
import Testing

/// One scenario per test: events in, actions out, time given by hand.
@Suite struct ESMESessionStateMachineTests {
    typealias Machine = ESMESessionStateMachine<Int>

    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ seconds: Double) -> NIODeadline {
        self.start + .nanoseconds(Int64(seconds * 1e9))
    }

    private func machine(
        window: Int = 2,
        enquireLinkInterval: TimeAmount? = .seconds(30),
        bindType: BindType = .transceiver
    ) -> Machine {
        Machine(
            configuration: .init(
                bindType: bindType,
                bind: Bind(systemID: "esme", password: "pw"),
                window: window,
                bindTimeout: .seconds(5),
                responseTimeout: .seconds(10),
                enquireLinkInterval: enquireLinkInterval,
                enquireLinkTimeout: .seconds(3),
                unbindTimeout: .seconds(4)
            ),
            now: self.start
        )
    }

    /// A machine that is bound (bind sent at 0, answered at 0).
    private func boundMachine(window: Int = 2, enquireLinkInterval: TimeAmount? = .seconds(30)) -> Machine {
        var machine = self.machine(window: window, enquireLinkInterval: enquireLinkInterval)
        let bind = machine.connected(now: self.start)
        let response = SMPPFrame(
            .bindTransceiverResp(BindResponse(systemID: "smsc", interfaceVersion: .v34)),
            sequenceNumber: bind.sequenceNumber
        )
        guard case .bound = machine.frameReceived(response, now: self.start) else { preconditionFailure() }
        return machine
    }

    private let submit = PDU.submitSM(SubmitSM(source: Address("a"), destination: Address("b")))

    private func sent(_ action: Machine.SendAction) -> SMPPFrame? {
        if case .write(let frame) = action { return frame }
        return nil
    }

    @Test func connectingSendsTheBind() {
        var machine = self.machine()
        let frame = machine.connected(now: self.start)
        #expect(frame == SMPPFrame(.bindTransceiver(Bind(systemID: "esme", password: "pw")), sequenceNumber: 1))
        #expect(machine.sessionState == .open)
        #expect(machine.nextDeadline == self.at(5))
    }

    @Test func bindResponseBindsAndRecordsTheInterfaceVersion() {
        let machine = self.boundMachine()
        #expect(machine.isBound)
        #expect(machine.sessionState == .bound(.transceiver))
        #expect(machine.peerSupportsTLVs)
    }

    @Test func refusedBindReportsTheStatus() {
        var machine = self.machine()
        let bind = machine.connected(now: self.start)
        let refused = SMPPFrame(
            .bindTransceiverResp(BindResponse(systemID: "")),
            sequenceNumber: bind.sequenceNumber,
            commandStatus: .invalidPassword
        )
        guard case .bindFailed(let error) = machine.frameReceived(refused, now: self.start) else {
            Issue.record("expected bindFailed")
            return
        }
        #expect(error == .bindFailed(.invalidPassword))
        #expect(!error.isRetryable)
        #expect(machine.sessionState == .closed)
    }

    @Test func bindTimesOut() {
        var machine = self.machine()
        _ = machine.connected(now: self.start)
        #expect(machine.timerFired(now: self.at(4.9)).close == nil)
        #expect(machine.timerFired(now: self.at(5)).close == .bindTimeout)
        #expect(machine.connectionClosed().error == .bindTimeout)
    }

    @Test func requestsBeforeTheBindAreRejected() {
        var machine = self.machine()
        _ = machine.connected(now: self.start)
        guard case .reject(.notBound) = machine.sendRequest(self.submit, for: 1, now: self.start) else {
            Issue.record("expected a rejection")
            return
        }
    }

    @Test func windowLimitsOutstandingRequests() {
        var machine = self.boundMachine(window: 2)
        let first = self.sent(machine.sendRequest(self.submit, for: 1, now: self.start))
        let second = self.sent(machine.sendRequest(self.submit, for: 2, now: self.start))
        #expect(first?.sequenceNumber == 2)
        #expect(second?.sequenceNumber == 3)
        #expect(!machine.hasWindowSpace)
        guard case .reject(.windowFull) = machine.sendRequest(self.submit, for: 3, now: self.start) else {
            Issue.record("expected windowFull")
            return
        }
        // A response frees a slot.
        let response = SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "m1")), sequenceNumber: 2)
        guard case .succeed(1, response) = machine.frameReceived(response, now: self.at(1)) else {
            Issue.record("expected request 1 to succeed")
            return
        }
        #expect(machine.hasWindowSpace)
    }

    @Test func responsesMatchBySequenceNumberInAnyOrder() {
        var machine = self.boundMachine()
        let a = self.sent(machine.sendRequest(self.submit, for: 10, now: self.start))!
        let b = self.sent(machine.sendRequest(self.submit, for: 20, now: self.start))!
        let responseB = SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "b")), sequenceNumber: b.sequenceNumber)
        let responseA = SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "a")), sequenceNumber: a.sequenceNumber)
        guard case .succeed(20, _) = machine.frameReceived(responseB, now: self.at(1)),
            case .succeed(10, _) = machine.frameReceived(responseA, now: self.at(1))
        else {
            Issue.record("responses were not matched to their requests")
            return
        }
        // A response nobody waits for is ignored.
        guard case .none = machine.frameReceived(responseA, now: self.at(1)) else {
            Issue.record("a duplicate response must be ignored")
            return
        }
    }

    @Test func unansweredRequestsTimeOutInSendOrder() {
        var machine = self.boundMachine(window: 5)
        _ = machine.sendRequest(self.submit, for: 1, now: self.start)
        _ = machine.sendRequest(self.submit, for: 2, now: self.at(2))
        #expect(machine.timerFired(now: self.at(9.9)).timedOut.isEmpty)
        #expect(machine.timerFired(now: self.at(10)).timedOut == [1])
        #expect(machine.timerFired(now: self.at(12)).timedOut == [2])
        #expect(machine.outstandingCount == 0)
    }

    @Test func genericNackFailsTheMatchingRequest() {
        var machine = self.boundMachine()
        let frame = self.sent(machine.sendRequest(self.submit, for: 7, now: self.start))!
        let nack = SMPPFrame(.genericNack, sequenceNumber: frame.sequenceNumber, commandStatus: .invalidCommandLength)
        guard case .fail(7, .genericNack(.invalidCommandLength)) = machine.frameReceived(nack, now: self.at(1)) else {
            Issue.record("expected a failure")
            return
        }
    }

    @Test func malformedResponseFailsTheRequestAndMalformedRequestIsAnswered() {
        var machine = self.boundMachine()
        let frame = self.sent(machine.sendRequest(self.submit, for: 7, now: self.start))!
        let header = PDUHeader(
            commandLength: 20,
            commandID: .submitSMResp,
            commandStatus: .ok,
            sequenceNumber: frame.sequenceNumber
        )
        let error = SMPPDecodingError(.missingTerminator(.messageID), header: header)
        guard case .fail(7, .malformedResponse(error)) = machine.malformedReceived(error, now: self.at(1)) else {
            Issue.record("expected a failure")
            return
        }
        let badRequest = SMPPDecodingError(
            .shortMessageBeyondBody(smLength: 9, remaining: 1),
            header: PDUHeader(commandLength: 40, commandID: .deliverSM, commandStatus: .ok, sequenceNumber: 99)
        )
        guard case .write(let answer) = machine.malformedReceived(badRequest, now: self.at(1)) else {
            Issue.record("expected an answer")
            return
        }
        #expect(
            answer
                == SMPPFrame(
                    .deliverSMResp(DeliverSMResponse()),
                    sequenceNumber: 99,
                    commandStatus: .invalidMessageLength
                )
        )
    }

    @Test func enquireLinkFromTheSMSCIsAnswered() {
        var machine = self.boundMachine()
        guard
            case .write(let answer) = machine.frameReceived(SMPPFrame(.enquireLink, sequenceNumber: 5), now: self.at(1))
        else {
            Issue.record("expected enquire_link_resp")
            return
        }
        #expect(answer == SMPPFrame(.enquireLinkResp, sequenceNumber: 5))
    }

    @Test func silenceSendsEnquireLinkAndAnAnswerKeepsTheLink() {
        var machine = self.boundMachine(enquireLinkInterval: .seconds(30))
        #expect(machine.nextDeadline == self.at(30))
        #expect(machine.timerFired(now: self.at(29)).writes.isEmpty)
        let action = machine.timerFired(now: self.at(30))
        #expect(action.writes.map(\.commandID) == [.enquireLink])
        let sequenceNumber = action.writes[0].sequenceNumber
        _ = machine.frameReceived(SMPPFrame(.enquireLinkResp, sequenceNumber: sequenceNumber), now: self.at(31))
        #expect(machine.timerFired(now: self.at(34)).close == nil)
        #expect(machine.nextDeadline == self.at(61))
    }

    @Test func unansweredEnquireLinkDeclaresThePeerDead() {
        var machine = self.boundMachine(enquireLinkInterval: .seconds(30))
        _ = machine.sendRequest(self.submit, for: 1, now: self.at(28))
        #expect(machine.timerFired(now: self.at(30)).writes.map(\.commandID) == [.enquireLink])
        #expect(machine.timerFired(now: self.at(33)).close == .peerNotResponding)
        let closed = machine.connectionClosed()
        #expect(closed.failed == [1])
        #expect(closed.error == .peerNotResponding)
        #expect(closed.error.isRetryable)
    }

    @Test func deliveriesGoToTheApplication() {
        var machine = self.boundMachine()
        let deliver = SMPPFrame(
            .deliverSM(DeliverSM(source: Address("a"), destination: Address("b"))),
            sequenceNumber: 4
        )
        guard case .deliver(deliver) = machine.frameReceived(deliver, now: self.at(1)) else {
            Issue.record("expected the deliver_sm to be passed on")
            return
        }
    }

    @Test func deliverSMOnATransmitterIsRefused() {
        var machine = self.machine(bindType: .transmitter)
        let bind = machine.connected(now: self.start)
        _ = machine.frameReceived(
            SMPPFrame(.bindTransmitterResp(BindResponse(systemID: "s")), sequenceNumber: bind.sequenceNumber),
            now: self.start
        )
        #expect(!machine.peerSupportsTLVs, "no sc_interface_version: assume 3.3")
        let deliver = SMPPFrame(
            .deliverSM(DeliverSM(source: Address("a"), destination: Address("b"))),
            sequenceNumber: 4
        )
        guard case .write(let answer) = machine.frameReceived(deliver, now: self.at(1)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(answer.commandStatus == .invalidBindStatus)
        #expect(answer.commandID == .deliverSMResp)
    }

    @Test func unknownCommandIsAnsweredWithGenericNack() {
        var machine = self.boundMachine()
        let unknown = SMPPFrame(.unknown(UnknownPDU(commandID: CommandID(rawValue: 0x99))), sequenceNumber: 6)
        guard case .write(let answer) = machine.frameReceived(unknown, now: self.at(1)) else {
            Issue.record("expected generic_nack")
            return
        }
        #expect(answer == SMPPFrame(.genericNack, sequenceNumber: 6, commandStatus: .invalidCommandID))
    }

    @Test func unbindByTheSMSCFailsOutstandingRequests() {
        var machine = self.boundMachine()
        _ = machine.sendRequest(self.submit, for: 1, now: self.start)
        guard
            case .unboundByPeer(let response, let failed) = machine.frameReceived(
                SMPPFrame(.unbind, sequenceNumber: 8),
                now: self.at(1)
            )
        else {
            Issue.record("expected unboundByPeer")
            return
        }
        #expect(response == SMPPFrame(.unbindResp, sequenceNumber: 8))
        #expect(failed == [1])
        #expect(machine.sessionState == .closed)
    }

    @Test func gracefulUnbindWaitsForInFlightResponses() {
        var machine = self.boundMachine()
        let frame = self.sent(machine.sendRequest(self.submit, for: 1, now: self.start))!
        guard case .wait = machine.unbindRequested(now: self.at(1)) else {
            Issue.record("expected to wait for the response")
            return
        }
        guard case .reject(.notBound) = machine.sendRequest(self.submit, for: 2, now: self.at(1)) else {
            Issue.record("no new requests while unbinding")
            return
        }
        let response = SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "x")), sequenceNumber: frame.sequenceNumber)
        guard case .succeedThenUnbind(1, response, let unbind) = machine.frameReceived(response, now: self.at(2)) else {
            Issue.record("expected the unbind after the last response")
            return
        }
        #expect(unbind.commandID == .unbind)
        #expect(machine.sessionState == .unbound)
        guard
            case .close = machine.frameReceived(
                SMPPFrame(.unbindResp, sequenceNumber: unbind.sequenceNumber),
                now: self.at(2)
            )
        else {
            Issue.record("expected close after unbind_resp")
            return
        }
    }

    @Test func gracefulUnbindGivesUpAtItsDeadline() {
        var machine = self.boundMachine()
        _ = machine.sendRequest(self.submit, for: 1, now: self.start)
        _ = machine.unbindRequested(now: self.at(1))
        #expect(machine.timerFired(now: self.at(4.9)).close == nil)
        #expect(machine.timerFired(now: self.at(5)).close == .connectionClosed)
        #expect(machine.connectionClosed().failed == [1])
    }

    @Test func idleUnbindSendsAtOnce() {
        var machine = self.boundMachine()
        guard case .write(let unbind) = machine.unbindRequested(now: self.at(1)) else {
            Issue.record("expected unbind at once")
            return
        }
        #expect(unbind.commandID == .unbind)
    }

    @Test func requestWhoseWriteFailedOnTheConnectionFailsRetryably() {
        var machine = self.boundMachine()
        let frame = self.sent(machine.sendRequest(self.submit, for: 7, now: self.start))!
        let action = machine.writeFailed(sequenceNumber: frame.sequenceNumber, error: ChannelError.ioOnClosedChannel)
        guard case .fail(7, let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error == .connectionClosed)
        #expect(error.isRetryable)
        #expect(machine.outstandingCount == 0)
    }

    @Test func requestTheEncoderRefusedFailsPermanently() {
        var machine = self.boundMachine()
        let frame = self.sent(machine.sendRequest(self.submit, for: 7, now: self.start))!
        let refusal = SMPPEncodingError(.shortMessageTooLong(length: 300), commandID: .submitSM)
        guard case .fail(7, let error) = machine.writeFailed(sequenceNumber: frame.sequenceNumber, error: refusal)
        else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == .unencodable(refusal))
        #expect(!error.isRetryable)
        guard case .none = machine.writeFailed(sequenceNumber: frame.sequenceNumber, error: refusal) else {
            Issue.record("a request fails once")
            return
        }
    }

    @Test func connectionLossFailsEverythingRetryably() {
        var machine = self.boundMachine(window: 3)
        _ = machine.sendRequest(self.submit, for: 1, now: self.start)
        _ = machine.sendRequest(self.submit, for: 2, now: self.start)
        let closed = machine.connectionClosed()
        #expect(closed.failed == [1, 2])
        #expect(closed.error == .connectionClosed)
        #expect(closed.error.isRetryable)
        guard case .reject = machine.sendRequest(self.submit, for: 3, now: self.start) else {
            Issue.record("expected rejection after close")
            return
        }
    }
}
