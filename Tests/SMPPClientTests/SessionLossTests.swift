import BridgeTestSupport
import Logging
import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator
import Synchronization
import Testing

/// Sessions lost with work outstanding and queued: every caller gets an answer, failures are
/// retryable, and the queue goes on on another session, never back to the one that is going.
@Suite(.timeLimit(.minutes(1))) struct SessionLossTests {
    enum Loss: String, CaseIterable, CustomTestStringConvertible {
        case connectionDropped
        case unboundBySMSC

        var testDescription: String { self.rawValue }
    }

    @Test(arguments: Loss.allCases)
    func aLostSessionFailsItsWindowRetryablyAndTheBacklogGoesOnTheNextSession(_ loss: Loss) async throws {
        // Submits are never answered: 10 fill the window, 20 wait in the queue when the session goes.
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.faults.noResponseRate = 1 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.window = 10
                // Longer than the test: only the loss can end the submits in flight.
                $0.responseTimeout = .seconds(50)
                $0.queueTimeout = .seconds(20)
            }
            try await withConnector(configuration) { connector in
                let parts = try connector.texts(30, "b")
                let backlog = Task { await connector.submit(parts: parts) }
                try await eventually("a full window and a backlog") {
                    let status = connector.status()
                    return status.sessions[0].inFlight == 10 && status.queuedNormal == 20
                }
                try await eventually("the window to reach the simulator") { simulator.counters.faultUnanswered == 10 }
                simulator.reconfigure { $0.faults.noResponseRate = 0 }
                let session = try #require(await simulator.sessions().first)
                switch loss {
                case .connectionDropped: simulator.closeSession(session.id)
                case .unboundBySMSC: simulator.unbindSession(session.id)
                }
                let results = await backlog.value
                let expected: SMPPClientError =
                    loss == .connectionDropped ? .session(.connectionClosed) : .session(.unboundByPeer)
                for result in results[..<10] {
                    #expect(throws: expected) { try result.get() }
                }
                #expect(expected.isRetryable)
                #expect(results[10...].allSatisfy { (try? $0.get()) != nil }, "the backlog went after the reconnect")
                #expect(simulator.messages().compactMap(\.text) == (10..<30).map { "b\($0)" })
                #expect(connector.status().sessions[0].reconnects == 1)
            }
        }
    }

    /// The first connection a submit arrives on answers nothing more from then on, enquire_link
    /// included (a connection that died silently); the others answer as usual. Not simply "the first
    /// connection": on a busy machine the connector may give up on a slow first bind and reconnect.
    private final class SilentFirstSubmitConnection: Sendable {
        private let silent = Mutex<Int?>(nil)

        var connection: Int? { self.silent.withLock { $0 } }

        func reply(_ connection: Int, _ frame: SMPPFrame) -> RawSMSC.Reply {
            let silent = self.silent.withLock { silent -> Int? in
                if silent == nil, frame.commandID == .submitSM { silent = connection }
                return silent
            }
            return connection == silent && frame.pdu.bindRequest == nil ? .nothing : RawSMSC.standardReply(to: frame)
        }
    }

    /// Answers binds; reads nothing more once something else arrives.
    @Sendable private static func deafAfterTheBind(_ connection: Int, _ frame: SMPPFrame) -> RawSMSC.Reply {
        frame.pdu.bindRequest == nil ? .stopReading : RawSMSC.standardReply(to: frame)
    }

    @Test func aDeadPeerFailsItsWindowRetryablyAndTheBacklogGoesOnTheNextSession() async throws {
        let silent = SilentFirstSubmitConnection()
        try await withRawSMSC(reply: silent.reply) { smsc, port in
            let configuration = ConnectorConfiguration.forTests(port: port) {
                $0.window = 10
                $0.responseTimeout = .seconds(50)
                $0.queueTimeout = .seconds(20)
                $0.enquireLinkInterval = .seconds(1)
                $0.enquireLinkTimeout = .milliseconds(200)
            }
            try await withConnector(configuration) { connector in
                let parts = try connector.texts(30, "d")
                let results = await connector.submit(parts: parts)
                for result in results[..<10] {
                    #expect(throws: SMPPClientError.session(.peerNotResponding)) { try result.get() }
                }
                #expect(results[10...].allSatisfy { (try? $0.get()) != nil }, "the backlog went after the reconnect")
                let dead = try #require(silent.connection)
                #expect(smsc.connections >= dead + 2, "a new connection after the dead one")
                let laterSubmits = smsc.received.filter { $0.connection > dead && $0.frame.commandID == .submitSM }
                #expect(laterSubmits.count == 20)
            }
        }
    }

    /// An SMSC that takes a submit and answers with an id over the 65 octets SMPP 3.4 allows: the
    /// submit succeeds with that id — refused as malformed, it would fail and go out again.
    /// Sloppy SMSCs seen in the field: an id over the 65 octets SMPP allows, and an id whose NUL is
    /// missing at the end of the body. Either is read; failing the submit would send it again.
    @Test(arguments: [(String(repeating: "A", count: 70), true), ("4F2A9C", false)])
    func aSloppyMessageIDFromTheSMSCIsRead(id: String, terminated: Bool) async throws {
        let reply: @Sendable (Int, SMPPFrame) -> RawSMSC.Reply = { _, frame in
            guard frame.commandID == .submitSM else { return RawSMSC.standardReply(to: frame) }
            var octets = ByteBuffer()
            let length = 16 + id.utf8.count + (terminated ? 1 : 0)
            octets.writeMultipleIntegers(UInt32(length), UInt32(0x8000_0004), UInt32(0), frame.sequenceNumber)
            octets.writeString(id)
            if terminated { octets.writeInteger(UInt8(0)) }
            return .answerOctets(Array(octets.readableBytesView))
        }
        try await withRawSMSC(reply: reply) { smsc, port in
            try await withConnector(.forTests(port: port)) { connector in
                let result = try await connector.submit(.submitSM(try connector.texts(1, "long id")[0]))
                #expect(result.messageID == id)
                #expect(smsc.received.filter { $0.frame.commandID == .submitSM }.count == 1, "sent once")
            }
        }
    }

    @Test func anEmptyMessageIDIsAcceptedWithAWarning() async throws {
        // Status 0 with an empty id: the SMSC took the message (sending it again would duplicate
        // it), but its receipt can never be matched — the operator is told.
        let reply: @Sendable (Int, SMPPFrame) -> RawSMSC.Reply = { _, frame in
            guard frame.commandID == .submitSM else { return RawSMSC.standardReply(to: frame) }
            return .answer(SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "")), sequenceNumber: frame.sequenceNumber))
        }
        let logs = CapturedLogs()
        try await withRawSMSC(reply: reply) { smsc, port in
            try await withConnector(.forTests(port: port), logs: logs) { connector in
                let result = try await connector.submit(.submitSM(try connector.texts(1, "no id")[0]))
                #expect(result.messageID == "")
                #expect(smsc.received.filter { $0.frame.commandID == .submitSM }.count == 1, "sent once")
            }
        }
        let warnings = logs.records("the SMSC accepted a submit without a message id: no receipt can be matched to it")
        #expect(warnings.map(\.level) == [.warning])
    }

    @Test func submitsWhoseWritesTheDisconnectCancelledFailRetryably() async throws {
        // The SMSC binds, then stops reading at the first submit: our writes pile up unsent until it
        // closes the connection, and NIO fails them before the session sees the connection go.
        try await withRawSMSC(reply: Self.deafAfterTheBind) { smsc, port in
            let configuration = ConnectorConfiguration.forTests(port: port) {
                $0.window = 400
                $0.responseTimeout = .seconds(50)
            }
            try await withConnector(configuration) { connector in
                // 400 × 32 kB, written in one batch: far beyond the 4 MB or so the socket buffers hold.
                var payload = TLVs()
                payload.messagePayload = ByteBuffer(repeating: 0x41, count: 32_000)
                let submit = SubmitSM(source: Address("Shop"), destination: Address("4477001"), tlvs: payload)
                let sending = Task { await connector.submit(parts: Array(repeating: submit, count: 400)) }
                try await eventually("the first submit at the SMSC") {
                    smsc.received.contains { $0.frame.commandID == .submitSM }
                }
                try await smsc.closeConnection()
                let results = await sending.value
                for result in results {
                    #expect(throws: SMPPClientError.session(.connectionClosed)) { try result.get() }
                }
                #expect(smsc.received.count { $0.frame.commandID == .submitSM } < 400)
            }
        }
    }
}
