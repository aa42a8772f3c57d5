import BridgeCore
import BridgeService
import BridgeStore
import Foundation
import NIOCore
import PostgresNIO
import SMPP
import SMPPClient
import SMSCSimulator
import Testing

/// An inbound message as stored, read back directly.
struct StoredInbound: Equatable {
    var account: UUID?
    var source: String
    var destination: String
    var text: String?
    var partCount: Int16
    var complete: Bool
}

extension Bridge {
    func inbound() async throws -> [StoredInbound] {
        let rows = try await self.store.client.query(
            """
            SELECT account_id, source, destination, text, part_count, complete FROM inbound_messages
            ORDER BY received_at, id
            """
        )
        var result: [StoredInbound] = []
        for try await (account, source, destination, text, parts, complete) in rows.decode(
            (UUID?, String, String, String?, Int16, Bool).self
        ) {
            result.append(
                StoredInbound(
                    account: account,
                    source: source,
                    destination: destination,
                    text: text,
                    partCount: parts,
                    complete: complete
                )
            )
        }
        return result
    }

    func waitForInbound(count: Int) async throws -> [StoredInbound] {
        var stored: [StoredInbound] = []
        try await waitUntil("\(count) inbound messages") {
            stored = try await self.inbound()
            return stored.count >= count
        }
        return stored
    }
}

@Suite(.timeLimit(.minutes(3))) struct InboundTests {
    @Test func aMobileOriginatedMessageIsStoredForTheRoutedAccount() async throws {
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            _ = try bridge.simulator.injectMO(.init(from: "+447700900555", to: "12345", text: "Hello shop"))
            let stored = try await bridge.waitForInbound(count: 1)
            #expect(
                stored == [
                    StoredInbound(
                        account: bridge.account,
                        source: "+447700900555",
                        destination: "12345",
                        text: "Hello shop",
                        partCount: 1,
                        complete: true
                    )
                ]
            )
            try await waitUntil("the deliver_sm acknowledged") { bridge.simulator.counters.moAcknowledged == 1 }
        }
    }

    @Test func concatenatedPartsBecomeOneMessage() async throws {
        let text = String(repeating: "Long reply ÄÖ ", count: 30)
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            let injected = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: text))
            #expect(injected.parts == 3)
            let stored = try await bridge.waitForInbound(count: 1)
            #expect(stored.map(\.text) == [text])
            #expect(stored.map(\.partCount) == [3])
            #expect(stored.map(\.complete) == [true])
        }
    }

    /// A message as an SMSC may write it, one deliver_sm per part (`udh`: reference, total, sequence).
    private static func deliverSM(
        from source: Address,
        to destination: Address = Address("12345"),
        _ userData: [UInt8],
        coding dataCoding: DataCoding = .smscDefault,
        udh: (UInt8, UInt8, UInt8)? = nil
    ) -> DeliverSM {
        var shortMessage = ByteBuffer()
        if let (reference, total, sequence) = udh { shortMessage.writeBytes([5, 0, 3, reference, total, sequence]) }
        shortMessage.writeBytes(userData)
        return DeliverSM(
            source: source,
            destination: destination,
            esmClass: udh == nil ? .defaultMode : .udhi,
            dataCoding: dataCoding,
            shortMessage: shortMessage
        )
    }

    @Test func aLatin1SenderIsShownAsLatin1() async throws {
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            // "Café" in Latin-1: not UTF-8, so the SMPP library keeps the E9 as U+F7E9.
            let sender = Address(ton: .alphanumeric, npi: .unknown, String(smppOctets: [0x43, 0x61, 0x66, 0xE9]))
            bridge.simulator.injectMO(parts: [Self.deliverSM(from: sender, try GSM7.septets(from: "Hi"))])
            let stored = try await bridge.waitForInbound(count: 1)
            #expect(stored.map(\.source) == ["Café"])
            #expect(stored.map(\.text) == ["Hi"])
        }
    }

    @Test func anInternationalNumberIsShownWithItsPlusWhetherTheSMSCWritesItOrNot() async throws {
        // Routes written with and without `+`; the SMSC writes the numbers with and without it.
        let routes = ["447700900001": "acme", "+447700900002": "acme"]
        try await withBridge(inboundRoutes: routes) { bridge in
            let sent = [
                ("447700900124", "447700900001"), ("+447700900124", "+447700900001"),
                ("447700900124", "+447700900002"), ("+447700900124", "447700900002"),
            ]
            for (from, to) in sent {
                bridge.simulator.injectMO(
                    parts: [
                        Self.deliverSM(
                            from: Address(ton: .international, npi: .isdn, from),
                            to: Address(ton: .international, npi: .isdn, to),
                            try GSM7.septets(from: "to \(to)")
                        )
                    ]
                )
            }
            let stored = try await bridge.waitForInbound(count: 4)
            #expect(Set(stored.map(\.source)) == ["+447700900124"])
            #expect(Set(stored.map(\.destination)) == ["+447700900001", "+447700900002"])
            #expect(stored.allSatisfy { $0.account == bridge.account }, "\(stored)")
        }
    }

    @Test func partsOfDifferentDataCodingsAreEachDecodedWithTheirOwn() async throws {
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            let sender = Address(ton: .international, npi: .isdn, "447700900124")
            bridge.simulator.injectMO(
                parts: [
                    Self.deliverSM(from: sender, try GSM7.septets(from: "gsm part-"), udh: (9, 2, 1)),
                    Self.deliverSM(from: sender, try TextEncoding.ucs2.encode("ucs part ü"), coding: .ucs2, udh: (9, 2, 2)),
                ]
            )
            let stored = try await bridge.waitForInbound(count: 1)
            #expect(stored.map(\.text) == ["gsm part-ucs part ü"])
            #expect(stored.map(\.partCount) == [2])
        }
    }

    @Test func unroutedMessagesAreKeptWithoutAnAccount() async throws {
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "99999", text: "wrong number"))
            let stored = try await bridge.waitForInbound(count: 1)
            #expect(stored.map(\.account) == [nil])
        }
    }

    @Test func thePhoneSendingTheSameTextTwiceGivesTwoMessages() async throws {
        // Answered in time on a connection that stays up: the SMSC got our answer, so the same
        // PDU again is a new message ("YES" twice), not a redelivery.
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "YES"))
            try await waitUntil("the first acknowledged") { bridge.simulator.counters.moAcknowledged == 1 }
            _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "YES"))
            let stored = try await bridge.waitForInbound(count: 2)
            #expect(stored.map(\.text) == ["YES", "YES"])
        }
    }

    @Test func theSameTextThroughTwoInstancesGivesTwoMessages() async throws {
        // An SMSC spreads MOs over the binds of both instances: the phone's second "YES" comes
        // through the other instance, whose own connections do not include the first one's.
        try await withBridge(instances: 2, inboundRoutes: ["12345": "acme"]) { bridge in
            _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "YES", systemID: "bridge-0"))
            try await waitUntil("the first acknowledged") { bridge.simulator.counters.moAcknowledged == 1 }
            // Also once instance 0 has published its connections since.
            try await Task.sleep(for: .milliseconds(500))
            _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "YES", systemID: "bridge-1"))
            let stored = try await bridge.waitForInbound(count: 2)
            #expect(stored.map(\.text) == ["YES", "YES"])
        }
    }

    @Test func aDatabaseFailureAsksTheSMSCToDeliverAgain() async throws {
        try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
            try await bridge.store.client.query("ALTER TABLE inbound_messages RENAME TO inbound_messages_away")
            _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: "try again"))
            // Refused with a temporary error (ESME_RX_T_APPN): the simulator sends it again.
            try await waitUntil("a second delivery attempt") { bridge.simulator.counters.moRetries >= 1 }
            #expect(bridge.simulator.counters.moAcknowledged == 0)
            try await bridge.store.client.query("ALTER TABLE inbound_messages_away RENAME TO inbound_messages")
            let stored = try await bridge.waitForInbound(count: 1)
            #expect(stored.map(\.text) == ["try again"])
            try await waitUntil("the deliver_sm acknowledged") { bridge.simulator.counters.moAcknowledged == 1 }
            // Stored once, though delivered several times.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await bridge.inbound().count == 1)
        }
    }

    @Test func receiptsRefusedWhileTheDatabaseIsAwayAreAppliedLater() async throws {
        try await withBridge { bridge in
            // Storing receipts fails (reads and the rest still work), as on a full disk (SQLSTATE
            // 53100: a condition that passes, unlike a refusal of the data itself).
            try await bridge.store.client.query(
                """
                CREATE FUNCTION refuse_receipts() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'receipts are away' USING ERRCODE = 'disk_full'; END $$
                """
            )
            try await bridge.store.client.query(
                "CREATE TRIGGER refuse BEFORE INSERT ON receipts FOR EACH ROW EXECUTE FUNCTION refuse_receipts()"
            )
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "Hello"))
            _ = try await bridge.waitFor(id, .sent)
            try await waitUntil("the receipt sent again") { bridge.simulator.counters.receiptRetries >= 1 }
            #expect(try await bridge.message(id)?.status == .sent)
            try await bridge.store.client.query("DROP TRIGGER refuse ON receipts")
            let delivered = try await bridge.waitFor(id, .delivered)
            #expect(delivered.receipts.count == 1)
        }
    }

    /// A simulator for the outage tests: its own receipts never come in time (the test sends
    /// what it needs), and it delivers again only after an answer, never on its own timer.
    private static func outageSimulator(_ configuration: inout SimulatorConfiguration) {
        configuration.receipts.delay = 3_600
        configuration.deliveryResponseTimeout = 60
        configuration.deliveryAttempts = 1_000
    }

    /// As in production: the connector's own answer to an unacknowledged PDU comes after 30 s.
    private static func outageConnector(_ configuration: inout ConnectorConfiguration) {
        configuration.inboundAcknowledgementTimeout = .seconds(30)
    }

    /// Delivers `pdu` while the bridge's database is away: the SMSC must get a temporary error
    /// within 9 s — before the 10 s or less an SMSC commonly waits, after which it delivers again
    /// or drops the session. Then waits until its redelivery is acknowledged, the database back.
    private func expectAnsweredInTimeWhileAway(_ pdu: DeliverSM, _ bridge: Bridge) async throws {
        try await whileDatabaseAway(try await bridge.store.databaseName()) {
            // The simulator counts what a test injects as mobile-originated, receipts included.
            bridge.simulator.injectMO(parts: [pdu])
            let injected = ContinuousClock.now
            try await bridge.waitForSimulator("a temporary error", timeout: .seconds(9)) { $0.moRetries >= 1 }
            #expect(ContinuousClock.now - injected < .seconds(9))
            #expect(bridge.simulator.counters.moAcknowledged == 0)
        }
        try await bridge.waitForSimulator("acknowledged, the database back", timeout: .seconds(20)) {
            $0.moAcknowledged == 1
        }
    }

    @Test func whileTheDatabaseIsAwayAMessageIsAnsweredBeforeTheSMSCsTimer() async throws {
        try await withBridge(
            simulator: Self.outageSimulator,
            connector: Self.outageConnector,
            inboundRoutes: ["12345": "acme"]
        ) { bridge in
            let sender = Address(ton: .international, npi: .isdn, "447700900555")
            try await self.expectAnsweredInTimeWhileAway(
                Self.deliverSM(from: sender, try GSM7.septets(from: "while away")),
                bridge
            )
            #expect(try await bridge.waitForInbound(count: 1).map(\.text) == ["while away"])
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await bridge.inbound().count == 1, "stored once")
        }
    }

    @Test func whileTheDatabaseIsAwayAReceiptIsAnsweredBeforeTheSMSCsTimer() async throws {
        try await withBridge(simulator: Self.outageSimulator, connector: Self.outageConnector) { bridge in
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "Hello"))
            let smscID = try #require(try await bridge.waitFor(id, .sent).parts.first?.smscMessageID)
            try await self.expectAnsweredInTimeWhileAway(
                DeliverSM.receipt(
                    DeliveryReceipt(id: smscID, submitDate: nil, doneDate: nil, state: .delivered),
                    from: Address(ton: .international, npi: .isdn, "447700900123"),
                    to: Address(ton: .alphanumeric, npi: .unknown, "Shop")
                ),
                bridge
            )
            let delivered = try await bridge.waitFor(id, .delivered)
            #expect(delivered.receipts.count == 1)
        }
    }

    /// Once a deliver_sm has found the database away, the next are answered at once — not each
    /// after the deadline while the SMSC's window fills — with one at a time trying the database.
    @Test func whileTheDatabaseIsKnownAwayDeliveriesAreAnsweredAtOnce() async throws {
        let texts = (1...5).map { "message \($0)" }
        try await withBridge(
            simulator: Self.outageSimulator,
            connector: Self.outageConnector,
            // Longer than the wait below: only answers that do not wait for the deadline count.
            inbound: { $0.databaseTimeout = .seconds(6) },
            inboundRoutes: ["12345": "acme"]
        ) { bridge in
            try await whileDatabaseAway(try await bridge.store.databaseName()) {
                _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: texts[0]))
                // At the deadline, or earlier when it met a connection being ended.
                try await bridge.waitForSimulator("the first answered", timeout: .seconds(15)) { $0.moRetries >= 1 }
                let before = bridge.simulator.counters.moRetries
                for text in texts.dropFirst() {
                    _ = try bridge.simulator.injectMO(.init(from: "447700900555", to: "12345", text: text))
                }
                // Each answered at once is delivered again 0.2 s later; waiting for the deadline,
                // none would be within 4 s.
                try await bridge.waitForSimulator("answers that did not wait for the deadline", timeout: .seconds(4)) {
                    $0.moRetries >= before + 8
                }
                #expect(bridge.simulator.counters.moAcknowledged == 0)
            }
            let stored = try await bridge.waitForInbound(count: texts.count)
            #expect(Set(stored.compactMap(\.text)) == Set(texts))
            try await waitUntil("all acknowledged") { bridge.simulator.counters.moAcknowledged == texts.count }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await bridge.inbound().count == texts.count)
        }
    }
}
