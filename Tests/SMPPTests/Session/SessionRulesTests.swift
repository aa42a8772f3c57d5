import SMPP
import Testing

@Suite struct SessionRulesTests {
    @Test func sequenceNumbersStartAtOneAndWrapBelowTheResponseBit() {
        var numbers = SequenceNumbers()
        #expect(numbers.next() == 1)
        #expect(numbers.next() == 2)
        var nearEnd = SequenceNumbers(first: 0x7FFF_FFFE)
        #expect(nearEnd.next() == 0x7FFF_FFFE)
        #expect(nearEnd.next() == 0x7FFF_FFFF)
        #expect(nearEnd.next() == 1)
    }

    @Test func submitNeedsATransmittingBind() {
        #expect(SessionState.bound(.transmitter).permits(.submitSM, from: .esme))
        #expect(SessionState.bound(.transceiver).permits(.submitSM, from: .esme))
        #expect(!SessionState.bound(.receiver).permits(.submitSM, from: .esme))
        #expect(!SessionState.open.permits(.submitSM, from: .esme))
        #expect(SessionState.bound(.receiver).refusal(for: .submitSM) == .invalidBindStatus)
    }

    @Test func deliveriesNeedAReceivingBind() {
        #expect(SessionState.bound(.receiver).permits(.deliverSM, from: .smsc))
        #expect(SessionState.bound(.transceiver).permits(.deliverSM, from: .smsc))
        #expect(!SessionState.bound(.transmitter).permits(.deliverSM, from: .smsc))
        #expect(!SessionState.bound(.transceiver).permits(.deliverSM, from: .esme))
        #expect(SessionState.bound(.receiver).permits(.dataSM, from: .smsc))
        #expect(!SessionState.bound(.receiver).permits(.dataSM, from: .esme))
    }

    @Test func bindOnlyWhenOpen() {
        #expect(SessionState.open.permits(.bindTransceiver, from: .esme))
        #expect(SessionState.outbound.permits(.bindReceiver, from: .esme))
        #expect(!SessionState.bound(.transmitter).permits(.bindTransmitter, from: .esme))
        #expect(SessionState.bound(.transmitter).refusal(for: .bindTransmitter) == .alreadyBound)
        #expect(!SessionState.open.permits(.bindTransmitter, from: .smsc))
    }

    @Test func enquireLinkInEveryConnectedState() {
        for state in [SessionState.open, .outbound, .bound(.transmitter), .bound(.receiver), .unbound] {
            #expect(state.permits(.enquireLink, from: .esme))
            #expect(state.permits(.enquireLink, from: .smsc))
        }
        #expect(!SessionState.closed.permits(.enquireLink, from: .esme))
    }

    @Test func nothingButEnquireLinkAfterUnbind() {
        #expect(!SessionState.unbound.permits(.submitSM, from: .esme))
        #expect(!SessionState.unbound.permits(.unbind, from: .esme))
        #expect(SessionState.bound(.receiver).permits(.unbind, from: .smsc))
    }

    @Test func bindTypesMapToTheirCommands() {
        for type in BindType.allCases {
            #expect(BindType(commandID: type.commandID) == type)
            #expect(BindType(commandID: type.commandID.response) == type)
            let bind = Bind(systemID: "a", password: "b")
            #expect(type.request(bind).bindRequest?.type == type)
            #expect(type.response(BindResponse(systemID: "x")).bindResponse?.type == type)
        }
        #expect(SessionState.bound(.transceiver).description == "BOUND_TRX")
    }
}

@Suite struct ErrorResponseTests {
    @Test func everyRequestHasItsOwnResponseOrGenericNack() {
        let requests: [CommandID] = [
            .bindTransmitter, .bindReceiver, .bindTransceiver, .submitSM, .deliverSM, .dataSM, .submitMulti,
            .querySM, .cancelSM, .replaceSM, .unbind, .enquireLink,
        ]
        for request in requests {
            #expect(PDU.errorResponse(to: request)?.commandID == request.response, "\(request)")
        }
        #expect(PDU.errorResponse(to: .outbind) == .genericNack)
        #expect(PDU.errorResponse(to: .alertNotification) == .genericNack)
        #expect(PDU.errorResponse(to: CommandID(rawValue: 0x99)) == .genericNack)
        #expect(PDU.errorResponse(to: .submitSMResp) == nil)
    }
}
