import Foundation
import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// The HTTP control API over real HTTP on loopback: MO injection, messages, sessions, counters, reset.
@Suite(.timeLimit(.minutes(1))) struct ControlAPITests {
    static let withControl = SimulatorConfiguration.testing { $0.control = .init(host: "127.0.0.1", port: 0) }

    /// The text of a deliver_sm, without its User Data Header.
    static func text(of message: DeliverSM) throws -> String {
        var userData = message.userData
        if message.esmClass.hasUDHI { userData = try UserDataHeader.split(userData).rest }
        return try #require(message.dataCoding.decodeText(userData))
    }

    @Test func healthz() async throws {
        try await withSimulator(Self.withControl) { simulator in
            let response = try await ControlClient(simulator).get("/healthz")
            #expect(response.status == 200)
            #expect(response.text == "ok")
        }
    }

    @Test func aShortMOArrivesAsOneDeliverSM() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.receiver, systemID: "shop")
                let response = try await ControlClient(simulator).post(
                    "/mo",
                    json: #"{"from": "+447700900123", "to": "7726", "text": "YES please"}"#
                )
                #expect(response.status == 202)
                let result = try response.decode(InjectionJSON.self)
                #expect(result.parts == 1)
                #expect(result.encoding == "gsm7")

                let (_, message) = try await esme.deliverSM()
                #expect(!message.esmClass.isReceipt)
                #expect(!message.esmClass.hasUDHI)
                #expect(message.source == Address(ton: .international, npi: .isdn, "447700900123"))
                #expect(message.destination.value == "7726")
                #expect(message.dataCoding == .smscDefault)
                #expect(try Self.text(of: message) == "YES please")
                try await eventually("the MO to be acknowledged") { simulator.counters.moAcknowledged == 1 }
                #expect(simulator.counters.moSent == 1)
            }
        }
    }

    @Test func aLongMOIsSplitWithAUserDataHeader() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let text = String(repeating: "A long reply from a handset. ", count: 12)
                let response = try await ControlClient(simulator).post(
                    "/mo",
                    json: #"{"from": "447700900123", "to": "7726", "text": "\#(text)"}"#
                )
                #expect(response.status == 202)
                let result = try response.decode(InjectionJSON.self)
                #expect(result.parts == 3)
                var parts: [(ConcatenationInfo, String)] = []
                for _ in 0..<3 {
                    let message = try await esme.deliverSM().message
                    #expect(message.esmClass.hasUDHI)
                    #expect(message.shortMessage.readableBytes <= 159)
                    parts.append((try #require(message.concatenation), try Self.text(of: message)))
                }
                #expect(Set(parts.map(\.0.reference)).count == 1)
                #expect(parts.map(\.0.total) == [3, 3, 3])
                #expect(parts.map(\.0.sequence) == [1, 2, 3])
                #expect(parts.map(\.1).joined() == text)
            }
        }
    }

    @Test func aMOOutsideGSM7TravelsAsUCS2() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let response = try await ControlClient(simulator).post(
                    "/mo",
                    json: #"{"from": "79001234567", "to": "7726", "text": "Привет 👋"}"#
                )
                #expect(try response.decode(InjectionJSON.self).encoding == "ucs2")
                let message = try await esme.deliverSM().message
                #expect(message.dataCoding == .ucs2)
                #expect(try Self.text(of: message) == "Привет 👋")
            }
        }
    }

    @Test func aMOForALoginWaitsForItsReceiver() async throws {
        try await withSimulator(Self.withControl) { simulator in
            let client = try ControlClient(simulator)
            let response = try await client.post(
                "/mo",
                json:
                    #"{"from": "447700900123", "to": "7726", "text": "later", "system_id": "shop", "encoding": "ucs2"}"#
            )
            #expect(response.status == 202)
            #expect(simulator.pendingDeliveries == 1)
            try await TestESME.with(port: simulator.port!) { other in
                try await other.bind(.receiver, systemID: "other")
                #expect(try await never { !other.drain().isEmpty })
            }
            try await TestESME.with(port: simulator.port!) { shop in
                try await shop.bind(.receiver, systemID: "shop")
                let message = try await shop.deliverSM().message
                #expect(message.dataCoding == .ucs2)
                #expect(try Self.text(of: message) == "later")
            }
        }
    }

    @Test func aBadMORequestIsRefused() async throws {
        try await withSimulator(Self.withControl) { simulator in
            let client = try ControlClient(simulator)
            #expect(try await client.post("/mo", json: #"{"from": "1"}"#).status == 400)
            #expect(try await client.post("/mo", json: "not json").status == 400)
            let encoding = try await client.post(
                "/mo",
                json: #"{"from": "1", "to": "2", "text": "x", "encoding": "ebcdic"}"#
            )
            #expect(encoding.status == 400)
            #expect(encoding.text.contains("encoding"))
            let unencodable = try await client.post(
                "/mo",
                json: #"{"from": "1", "to": "2", "text": "Привет", "encoding": "gsm7"}"#
            )
            #expect(unencodable.status == 400)
        }
    }

    @Test func messagesGroupThePartsOfAConcatenatedMessage() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver, systemID: "shop")
                _ = try await esme.request(submit("Single"))
                let text = String(repeating: "Long text for two parts. ", count: 8)
                let parts = try longMessage(text, reference: 9)
                #expect(parts.count == 2)
                // Parts in reverse order: the API orders them.
                for part in parts.reversed() { _ = try await esme.request(.submitSM(part)) }

                let client = try ControlClient(simulator)
                let messages = try await client.get("/messages").decode([MessageJSON].self)
                #expect(messages.count == 2)
                #expect(messages[0].text == "Single")
                #expect(messages[0].parts_expected == 1)
                #expect(messages[0].parts[0].command == "submit_sm")
                #expect(messages[0].parts[0].registered_delivery == 1)
                #expect(messages[0].parts[0].user_data_hex == "53696E676C65")
                #expect(messages[0].source == AddressJSON(ton: 5, npi: 0, address: "Shop"))
                let long = messages[1]
                #expect(long.system_id == "shop")
                #expect(long.parts_expected == 2)
                #expect(long.parts_received == 2)
                #expect(long.complete)
                #expect(long.text == text)
                #expect(long.parts.map { $0.concatenation?.sequence } == [1, 2])
                #expect(long.parts.allSatisfy { $0.concatenation?.reference == 9 })

                let limited = try await client.get("/messages?limit=1").decode([MessageJSON].self)
                #expect(limited.count == 1)
                #expect(try await client.get("/messages?system_id=nobody").decode([MessageJSON].self).isEmpty)

                let one = try await client.get("/messages/\(messages[0].id)")
                #expect(one.status == 200)
                let part = try one.decode(PartJSON.self)
                #expect(part.text == "Single")
                #expect(part.state == "DELIVRD")
                #expect(part.outcome == "DELIVRD")
                #expect(try await client.get("/messages/NOSUCHID").status == 404)
            }
        }
    }

    @Test func anIncompleteConcatenatedMessageHasNoJoinedText() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let parts = try longMessage(String(repeating: "Long text for two parts. ", count: 8), reference: 10)
                _ = try await esme.request(.submitSM(parts[0]))
                let messages = try await ControlClient(simulator).get("/messages").decode([MessageJSON].self)
                #expect(messages.count == 1)
                #expect(messages[0].complete == false)
                #expect(messages[0].parts_received == 1)
                #expect(messages[0].text == nil)
            }
        }
    }

    @Test func sessionsListsTheConnectionsAndDeleteDropsOne() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver, systemID: "shop")
                let client = try ControlClient(simulator)
                let sessions = try await client.get("/sessions").decode([SessionJSON].self)
                #expect(sessions.count == 1)
                let session = try #require(sessions.first)
                #expect(session.system_id == "shop")
                #expect(session.bind_type == "transceiver")
                #expect(session.state == "BOUND_TRX")
                #expect(session.remote_address.contains("127.0.0.1"))
                #expect(session.pdus_received == 1)

                let deleted = try await client.delete("/sessions/\(session.id)")
                #expect(deleted.status == 204)
                try await esme.closed()
                try await eventually("no sessions") {
                    try await client.get("/sessions").decode([SessionJSON].self).isEmpty
                }
                #expect(try await client.delete("/sessions/\(session.id)").status == 404)
            }
        }
    }

    @Test func unbindingASessionThroughTheAPI() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let client = try ControlClient(simulator)
                let id = try #require(try await client.get("/sessions").decode([SessionJSON].self).first?.id)
                #expect(try await client.post("/sessions/\(id)/unbind").status == 202)
                _ = try await esme.frame("unbind") { $0.commandID == .unbind }
                try await esme.closed()
                #expect(try await client.post("/sessions/999/unbind").status == 404)
            }
        }
    }

    @Test func countersAreJSON() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                _ = try await esme.request(submit("Hello"))
                _ = try await esme.deliverSM()
                try await eventually("the receipt to be acknowledged") { simulator.counters.receiptsAcknowledged == 1 }
                let counters = try await ControlClient(simulator).get("/counters").decode(SimulatorCounters.self)
                #expect(counters.connections == 1)
                #expect(counters.binds == 1)
                #expect(counters.submitsReceived == 1)
                #expect(counters.messagesAccepted == 1)
                #expect(counters.receiptsSent == 1)
                #expect(counters.receiptsAcknowledged == 1)
            }
        }
    }

    @Test func resetForgetsMessagesAndCountersButKeepsSessions() async throws {
        try await withSimulator(Self.withControl) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                _ = try await esme.request(submit("Hello"))
                _ = try await esme.deliverSM()
                try await eventually("the receipt to be acknowledged") { simulator.counters.receiptsAcknowledged == 1 }
                let client = try ControlClient(simulator)
                #expect(try await client.post("/reset").status == 204)
                #expect(try await client.get("/messages").decode([MessageJSON].self).isEmpty)
                #expect(simulator.counters == SimulatorCounters())
                #expect(try await client.get("/sessions").decode([SessionJSON].self).count == 1)
                #expect(try await esme.request(submit("After reset")).commandStatus == .ok)
            }
        }
    }
}
