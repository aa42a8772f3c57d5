import BridgeStore
import BridgeTestSupport
import Foundation
import PostgresNIO
import SMPP
import Testing

@Suite(.timeLimit(.minutes(1))) struct InboundStoreTests {
    private func part(
        _ text: String,
        sequence: UInt8? = nil,
        total: UInt8 = 3,
        from: String = "447700900123",
        connection: UInt64? = nil
    ) -> IncomingPart {
        IncomingPart(
            connector: "main",
            source: from,
            destination: "7726",
            dataCoding: .smscDefault,
            userData: try! GSM7.septets(from: text),
            concatenation: sequence.map { ConcatenationInfo(reference: 42, total: total, sequence: $0) },
            connection: connection
        )
    }

    @Test func aSingleMessageIsStoredAndDecoded() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            guard
                case .stored(let record) = try await store.storeInbound(
                    self.part("YES please"),
                    accountID: account,
                    dedupeWindow: 600
                )
            else {
                Issue.record("expected a stored message")
                return
            }
            #expect(record.text == "YES please")
            #expect(record.accountID == account)
            #expect(record.complete)
            #expect(record.partCount == 1)
        }
    }

    /// A repeat while the connection of the last copy is still open is the phone sending the same
    /// text again; once that connection is gone (our answer may have been lost with it), it is a
    /// redelivery — which moves the entry to its own connection.
    @Test func aRepeatIsANewMessageWhileTheLastCopysConnectionIsOpen() async throws {
        try await withStore { store in
            func isNew(on connection: UInt64?, open: [UInt64]) async throws -> Bool {
                let outcome = try await store.storeInbound(
                    self.part("YES", connection: connection),
                    accountID: nil,
                    dedupeWindow: 600,
                    openConnections: open
                )
                return outcome != .duplicate
            }
            #expect(try await isNew(on: 7, open: [7]))
            #expect(try await isNew(on: 7, open: [7]), "same connection, still open")
            #expect(try await isNew(on: 8, open: [7, 8]), "another connection, the last one still open")
            #expect(try await isNew(on: 9, open: [9]) == false, "the last copy's connection is gone: a redelivery")
            #expect(try await isNew(on: 9, open: [9]), "the redelivery's connection took over")
            #expect(try await isNew(on: nil, open: [9]) == false, "answered late before: any repeat is a redelivery")
            let count = try await store.client.query("SELECT count(*)::int4 FROM inbound_messages")
            for try await stored in count.decode(Int32.self) { #expect(stored == 4) }
        }
    }

    /// A last copy another instance stored is judged by the connections that instance published:
    /// gone when its reading after the copy lacks the connection, or when it is dead; unknown —
    /// so open — while it has published nothing since the copy.
    @Test func aRepeatThroughAnotherInstanceIsNewUnlessThatInstanceShowsTheConnectionGone() async throws {
        try await withStore { store in
            let (a, b) = (UUID(), UUID())
            try await store.heartbeat(instance: a)
            try await store.heartbeat(instance: b)
            func isNew(_ instance: UUID, on connection: UInt64, open: [UInt64]) async throws -> Bool {
                let outcome = try await store.storeInbound(
                    self.part("YES", connection: connection),
                    accountID: nil,
                    dedupeWindow: 600,
                    openConnections: open,
                    instance: instance,
                    instanceDeadAfter: 30
                )
                return outcome != .duplicate
            }
            #expect(try await isNew(a, on: 7, open: [7]))
            try await store.heartbeat(instance: a, connections: { [7] })
            #expect(try await isNew(b, on: 20, open: [20]), "a shows connection 7 open")
            try await store.heartbeat(instance: b, connections: { [] })
            #expect(try await isNew(a, on: 8, open: [8]) == false, "b shows connection 20 gone: a redelivery")
            #expect(try await isNew(a, on: 8, open: [8]), "a's own connection, open")
            #expect(try await isNew(b, on: 21, open: [21]), "a published nothing since: its connection may be open")
            try await store.client.query("UPDATE instances SET heartbeat_at = now() - interval '60 seconds' WHERE id = \(b)")
            #expect(try await isNew(a, on: 8, open: [8]) == false, "b is dead: its connections are gone")
            let count = try await store.client.query("SELECT count(*)::int4 FROM inbound_messages")
            for try await stored in count.decode(Int32.self) { #expect(stored == 4) }
        }
    }

    @Test func aResentPDUIsStoredOnce() async throws {
        try await withStore { store in
            #expect(try await store.storeInbound(self.part("again"), accountID: nil, dedupeWindow: 600) != .duplicate)
            #expect(try await store.storeInbound(self.part("again"), accountID: nil, dedupeWindow: 600) == .duplicate)
            #expect(
                try await store.storeInbound(
                    self.part("again", from: "447700900999"),
                    accountID: nil,
                    dedupeWindow: 600
                ) != .duplicate
            )
            // Past the window the same text is a new message.
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await store.storeInbound(self.part("again"), accountID: nil, dedupeWindow: 1) != .duplicate)
        }
    }

    @Test func partsInAnyOrderBecomeOneMessage() async throws {
        try await withStore { store in
            #expect(
                try await store.storeInbound(self.part("world", sequence: 3), accountID: nil, dedupeWindow: 600)
                    == .waiting(received: 1, total: 3)
            )
            #expect(
                try await store.storeInbound(self.part("Hello ", sequence: 1), accountID: nil, dedupeWindow: 600)
                    == .waiting(received: 2, total: 3)
            )
            #expect(
                try await store.storeInbound(self.part("Hello ", sequence: 1), accountID: nil, dedupeWindow: 600)
                    == .duplicate
            )
            guard
                case .stored(let record) = try await store.storeInbound(
                    self.part("big ", sequence: 2),
                    accountID: nil,
                    dedupeWindow: 600
                )
            else {
                Issue.record("expected the assembled message")
                return
            }
            #expect(record.text == "Hello big world")
            #expect(record.partCount == 3)
            #expect(record.complete)
        }
    }

    @Test func partsArrivingTogetherAreAssembledOnce() async throws {
        try await withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: InboundOutcome.self) { group in
                for sequence in UInt8(1)...3 {
                    group.addTask {
                        try await store.storeInbound(
                            self.part("p\(sequence) ", sequence: sequence),
                            accountID: nil,
                            dedupeWindow: 600
                        )
                    }
                }
                return try await group.reduce(into: [InboundOutcome]()) { $0.append($1) }
            }
            let stored = outcomes.compactMap { outcome -> InboundRecord? in
                if case .stored(let record) = outcome { return record }
                return nil
            }
            #expect(stored.count == 1)
            #expect(stored.first?.text == "p1 p2 p3 ")
        }
    }

    /// A part of `total` with its own data_coding and user data.
    private func part(sequence: UInt8, total: UInt8 = 2, _ dataCoding: DataCoding, _ userData: [UInt8]) -> IncomingPart {
        var part = self.part("", sequence: sequence, total: total)
        part.dataCoding = dataCoding
        part.userData = userData
        return part
    }

    /// The message the last of `parts` completes.
    private func assembled(_ parts: [IncomingPart], in store: PostgresStore) async throws -> InboundRecord? {
        var last: InboundOutcome?
        for part in parts { last = try await store.storeInbound(part, accountID: nil, dedupeWindow: 600) }
        guard case .stored(let record) = last else { return nil }
        return record
    }

    @Test func partsWithDifferentDataCodingsAreEachDecodedWithTheirOwn() async throws {
        let gsm = self.part(sequence: 1, .smscDefault, try GSM7.septets(from: "gsm part-"))
        let ucs2 = self.part(sequence: 2, .ucs2, try TextEncoding.ucs2.encode("ucs part ü"))
        try await withStore { store in
            for order in [[gsm, ucs2], [ucs2, gsm]] {
                let record = try #require(try await self.assembled(order, in: store))
                #expect(record.text == "gsm part-ucs part ü")
                #expect(record.binaryBody == nil)
                #expect(record.dataCoding == 0, "the first part's")
                try await store.purgeInboundDedupe(olderThan: -1)
            }
            // The first part in UCS-2: its data_coding is the message's.
            let first = self.part(sequence: 1, .ucs2, try TextEncoding.ucs2.encode("ü then "))
            let second = self.part(sequence: 2, .smscDefault, try GSM7.septets(from: "gsm"))
            let record = try #require(try await self.assembled([second, first], in: store))
            #expect(record.text == "ü then gsm")
            #expect(record.dataCoding == 8)
        }
    }

    @Test func aBinaryPartMakesTheWholeMessageOctets() async throws {
        let text = self.part(sequence: 1, .smscDefault, try GSM7.septets(from: "Hi"))
        let binary = self.part(sequence: 2, .binary, [0x00, 0xFF])
        try await withStore { store in
            let record = try #require(try await self.assembled([binary, text], in: store))
            #expect(record.text == nil)
            #expect(record.binaryBody == [0x48, 0x69, 0x00, 0xFF])
            #expect(record.dataCoding == 4, "the binary part's")
        }
    }

    @Test func partsSharingOneDataCodingAreDecodedJoined() async throws {
        // An escape (€ is 1B 65) cut between parts 1 and 2 decodes, before a UCS-2 part 3.
        let parts = [
            self.part(sequence: 1, total: 3, .smscDefault, [0x41, 0x1B]),
            self.part(sequence: 2, total: 3, .smscDefault, [0x65, 0x42]),
            self.part(sequence: 3, total: 3, .ucs2, try TextEncoding.ucs2.encode("ü")),
        ]
        try await withStore { store in
            let record = try #require(try await self.assembled(parts, in: store))
            #expect(record.text == "A€Bü")
        }
    }

    @Test func theAddressesAreStoredAsShownAndThePartsJoinedByTheirAddressesAsReceived() async throws {
        // One message whose SMSC wrote the sender's TON differently in its two parts (1, then 0):
        // still one set (the raw address is the key); shown as its first part says.
        var first = self.part("Hello ", sequence: 1, total: 2)
        first.from = "+447700900123"
        var second = self.part("world", sequence: 2, total: 2)
        second.from = "447700900123"
        try await withStore { store in
            let record = try #require(try await self.assembled([second, first], in: store))
            #expect(record.text == "Hello world")
            #expect(record.from == "+447700900123")
            #expect(record.to == "7726")
            // A single message is stored as shown.
            var single = self.part("single")
            single.from = "+447700900123"
            guard case .stored(let stored) = try await store.storeInbound(single, accountID: nil, dedupeWindow: 600)
            else {
                Issue.record("expected a stored message")
                return
            }
            #expect(stored.from == "+447700900123")
            // The same PDU again, whatever it is shown as, is a repeat.
            single.from = "447700900123"
            #expect(try await store.storeInbound(single, accountID: nil, dedupeWindow: 600) == .duplicate)
        }
    }

    @Test func anIncompleteSetIsShownAsItsPartsSay() async throws {
        var part = self.part("first ", sequence: 1)
        part.from = "+447700900123"
        try await withStore { store in
            _ = try await store.storeInbound(part, accountID: nil, dedupeWindow: 600)
            // A part stored by a version before the display columns: its sender read as it came.
            try await store.client.query(
                """
                INSERT INTO inbound_parts (connector, source, destination, reference, total, sequence, data_coding, user_data)
                VALUES ('main', \("Caf\u{F7E9}"), '7726', 7, 2, 1, 0, '\\x41'::bytea)
                """
            )
            try await Task.sleep(for: .milliseconds(1100))
            let flushed = try await store.flushIncompleteInbound(olderThan: 1) { _ in nil }
            #expect(Set(flushed.map(\.from)) == ["+447700900123", "Café"])
        }
    }

    @Test func incompleteSetsAreDeliveredAfterTheTimeoutWithWhatArrived() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            _ = try await store.storeInbound(self.part("first ", sequence: 1), accountID: account, dedupeWindow: 600)
            _ = try await store.storeInbound(self.part("third", sequence: 3), accountID: account, dedupeWindow: 600)
            #expect(try await store.flushIncompleteInbound(olderThan: 60) { _ in account }.isEmpty)
            try await Task.sleep(for: .milliseconds(1100))
            let flushed = try await store.flushIncompleteInbound(olderThan: 1) { _ in account }
            #expect(flushed.count == 1)
            #expect(flushed.first?.text == "first third")
            #expect(flushed.first?.complete == false)
            #expect(flushed.first?.accountID == account)
            #expect(try await store.flushIncompleteInbound(olderThan: 0) { _ in account }.isEmpty)
        }
    }

    @Test func binaryDataIsKeptAsOctets() async throws {
        try await withStore { store in
            let binary = IncomingPart(
                connector: "main",
                source: "4477",
                destination: "7726",
                dataCoding: .binary,
                userData: [0, 1, 2, 255],
                concatenation: nil
            )
            guard case .stored(let record) = try await store.storeInbound(binary, accountID: nil, dedupeWindow: 600)
            else {
                Issue.record("expected a stored message")
                return
            }
            #expect(record.text == nil)
            #expect(record.binaryBody == [0, 1, 2, 255])
        }
    }
}
