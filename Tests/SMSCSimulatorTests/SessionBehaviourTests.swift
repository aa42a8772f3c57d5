import NIOCore
import SMPP
import SMSCSimulator
import Testing

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
            }
        }
    }
}
