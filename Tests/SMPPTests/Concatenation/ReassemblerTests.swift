import NIOCore
import SMPP
import Testing

@Suite struct ReassemblerTests {
    typealias Support = TextTestSupport

    static let start = ContinuousClock.now
    static let handset = Address(ton: .international, npi: .isdn, "79001234567")
    static let service = Address("4242")

    /// A deliver_sm whose short message is `hex`.
    static func part(
        _ hex: String,
        udhi: Bool = true,
        dataCoding: DataCoding = .smscDefault,
        from source: Address = handset
    ) -> DeliverSM {
        DeliverSM(
            source: source,
            destination: service,
            esmClass: udhi ? .udhi : .defaultMode,
            dataCoding: dataCoding,
            shortMessage: ByteBuffer(bytes: Support.bytes(hex))
        )
    }

    static func reassembler(timeout: Duration = .seconds(60), maximumPendingSets: Int = 100) throws -> Reassembler {
        try Reassembler(configuration: .init(timeout: timeout, maximumPendingSets: maximumPendingSets))
    }

    static func delivered(_ outcome: Reassembler.Outcome) -> ReassembledMessage? {
        if case .deliver(let message) = outcome.action { return message }
        return nil
    }

    @Test func partsInAnyOrderCompleteTheMessage() throws {
        var reassembler = try Self.reassembler()
        let key = Reassembler.Key(source: Self.handset, destination: Self.service, reference: 0x2A, total: 3)
        var outcome = try reassembler.partReceived(Self.part("0500032A0303 21"), now: Self.start)
        #expect(outcome.action == .wait(key, received: 1))
        outcome = try reassembler.partReceived(Self.part("0500032A0301 48 65"), now: Self.start + .seconds(1))
        #expect(outcome.action == .wait(key, received: 2))
        #expect(reassembler.pendingCount == 1)
        outcome = try reassembler.partReceived(Self.part("0500032A0302 6C 6C 6F"), now: Self.start + .seconds(2))
        let message = try #require(Self.delivered(outcome))
        #expect(message.isComplete)
        #expect(message.missingSequences.isEmpty)
        #expect(message.parts.map(\.sequence) == [1, 2, 3])
        #expect(Support.hex(message.userData) == "48656C6C6F21")
        #expect(message.text() == "Hello!")
        #expect(message.reference == 0x2A)
        #expect(message.total == 3)
        #expect(message.firstReceived == Self.start)
        #expect(reassembler.pendingCount == 0)
        #expect(reassembler.nextExpiry == nil)
    }

    @Test func textIsDecodedOnceAfterConcatenation() throws {
        // Another sender cut an ESC pair and a surrogate pair in two; decoding after concatenation
        // still gives the right characters.
        var reassembler = try Self.reassembler()
        _ = try reassembler.partReceived(Self.part("050003070201 41 1B"), now: Self.start)
        let gsm = try #require(
            Self.delivered(try reassembler.partReceived(Self.part("050003070202 65 42"), now: Self.start))
        )
        #expect(gsm.text() == "A€B")

        _ = try reassembler.partReceived(Self.part("050003080202 DE00", dataCoding: .ucs2), now: Self.start)
        let ucs2 = try #require(
            Self.delivered(
                try reassembler.partReceived(Self.part("050003080201 0041 D83D", dataCoding: .ucs2), now: Self.start)
            )
        )
        #expect(ucs2.dataCoding == .ucs2)
        #expect(ucs2.text() == "A😀")

        // Parts of one message in different codings: each read with its own.
        _ = try reassembler.partReceived(Self.part("050003090201 41"), now: Self.start)
        let mixed = try #require(
            Self.delivered(try reassembler.partReceived(Self.part("050003090202 00FC", dataCoding: .ucs2), now: Self.start))
        )
        #expect(mixed.text() == "Aü")
    }

    @Test func duplicatesAreDroppedAndReported() throws {
        var reassembler = try Self.reassembler()
        let key = Reassembler.Key(source: Self.handset, destination: Self.service, reference: 0x01, total: 2)
        _ = try reassembler.partReceived(Self.part("050003010201 41"), now: Self.start)
        var outcome = try reassembler.partReceived(Self.part("050003010201 41"), now: Self.start)
        #expect(outcome.action == .dropDuplicate(key, sequence: 1, identical: true))
        outcome = try reassembler.partReceived(Self.part("050003010201 5A"), now: Self.start)
        #expect(outcome.action == .dropDuplicate(key, sequence: 1, identical: false))
        let message = try #require(
            Self.delivered(try reassembler.partReceived(Self.part("050003010202 42"), now: Self.start))
        )
        #expect(message.text() == "AB")
        // The SMSC delivers a part again after completion: dropped, not a new set.
        outcome = try reassembler.partReceived(Self.part("050003010202 42"), now: Self.start + .seconds(5))
        #expect(outcome.action == .dropDuplicate(key, sequence: 2, identical: nil))
        #expect(reassembler.pendingCount == 0)
        // After one timeout the key is forgotten and may start a new message.
        #expect(reassembler.expire(now: Self.start + .seconds(61)).isEmpty)
        outcome = try reassembler.partReceived(Self.part("050003010202 42"), now: Self.start + .seconds(62))
        #expect(outcome.action == .wait(key, received: 1))
    }

    @Test func keysSeparateSendersReferencesAndTotals() throws {
        var reassembler = try Self.reassembler()
        let other = Address(ton: .international, npi: .isdn, "79007654321")
        _ = try reassembler.partReceived(Self.part("050003010201 41"), now: Self.start)
        _ = try reassembler.partReceived(Self.part("050003010201 42", from: other), now: Self.start)
        _ = try reassembler.partReceived(Self.part("050003020201 43"), now: Self.start)
        _ = try reassembler.partReceived(Self.part("050003010301 44"), now: Self.start)
        #expect(reassembler.pendingCount == 4)
        let message = try #require(
            Self.delivered(try reassembler.partReceived(Self.part("050003010202 45", from: other), now: Self.start))
        )
        #expect(message.source == other)
        #expect(message.text() == "BE")
    }

    @Test func messagesThatAreNotConcatenatedAreDeliveredAtOnce() throws {
        var reassembler = try Self.reassembler()
        let plain = try #require(
            Self.delivered(try reassembler.partReceived(Self.part("48 69", udhi: false), now: Self.start))
        )
        #expect(plain.isComplete && plain.total == 1 && plain.reference == nil)
        #expect(plain.text() == "Hi")
        // A UDH with only port addressing: stripped, ports reported.
        let ported = try #require(
            Self.delivered(
                try reassembler.partReceived(Self.part("0605040B8423F0 CAFE", dataCoding: .binary), now: Self.start)
            )
        )
        #expect(Support.hex(ported.userData) == "CAFE")
        #expect(ported.applicationPorts == ApplicationPorts(destination: 0x0B84, originator: 0x23F0))
        #expect(ported.text() == nil)
        // A "1 of 1" part.
        let single = try #require(
            Self.delivered(try reassembler.partReceived(Self.part("050003090101 4F4B"), now: Self.start))
        )
        #expect(single.reference == 9)
        #expect(single.text() == "OK")
        #expect(reassembler.pendingCount == 0)
    }

    @Test func sarPartsAreReassembled() throws {
        var reassembler = try Self.reassembler()
        func sarPart(_ sequence: UInt8, _ text: String) throws -> DeliverSM {
            var part = Self.part("", udhi: false, dataCoding: .latin1)
            part.shortMessage = ByteBuffer(bytes: try TextEncoding.latin1.encode(text))
            part.tlvs.sarMessageReference = 0x0BAD
            part.tlvs.sarTotalSegments = 2
            part.tlvs.sarSegmentSequence = sequence
            return part
        }
        _ = try reassembler.partReceived(try sarPart(2, "Welt"), now: Self.start)
        let message = try #require(
            Self.delivered(try reassembler.partReceived(try sarPart(1, "Grüße, "), now: Self.start))
        )
        #expect(message.reference == 0x0BAD)
        #expect(message.text() == "Grüße, Welt")
    }

    @Test func dataSMPartsAreReassembled() throws {
        var reassembler = try Self.reassembler()
        func dataPart(_ hex: String) -> DataSM {
            var part = DataSM(source: Self.handset, destination: Self.service, esmClass: .udhi)
            part.tlvs.messagePayload = ByteBuffer(bytes: Support.bytes(hex))
            return part
        }
        _ = try reassembler.partReceived(dataPart("060804ABCD0202 42"), now: Self.start)
        let message = try #require(
            Self.delivered(try reassembler.partReceived(dataPart("060804ABCD0201 41"), now: Self.start))
        )
        #expect(message.reference == 0xABCD)
        #expect(message.text() == "AB")
    }

    @Test func incompleteSetsExpireWithWhatArrived() throws {
        var reassembler = try Self.reassembler(timeout: .seconds(60))
        _ = try reassembler.partReceived(Self.part("050003010301 41"), now: Self.start)
        _ = try reassembler.partReceived(Self.part("050003010303 43"), now: Self.start + .seconds(30))
        _ = try reassembler.partReceived(Self.part("050003020201 58"), now: Self.start + .seconds(10))
        #expect(reassembler.nextExpiry == Self.start + .seconds(60))
        #expect(reassembler.expire(now: Self.start + .seconds(59)).isEmpty)
        let expired = reassembler.expire(now: Self.start + .seconds(60))
        #expect(expired.count == 1)
        #expect(!expired[0].isComplete)
        #expect(expired[0].parts.map(\.sequence) == [1, 3])
        #expect(expired[0].missingSequences == [2])
        #expect(expired[0].text() == "AC")
        #expect(reassembler.nextExpiry == Self.start + .seconds(70))
        let later = reassembler.expire(now: Self.start + .seconds(600))
        #expect(later.map(\.reference) == [2])
        #expect(reassembler.pendingCount == 0)
        #expect(reassembler.nextExpiry == nil)
    }

    @Test func oldestSetIsEvictedWhenFull() throws {
        var reassembler = try Self.reassembler(maximumPendingSets: 2)
        #expect(try reassembler.partReceived(Self.part("050003010301 41"), now: Self.start).evicted == nil)
        #expect(
            try reassembler.partReceived(Self.part("050003020301 42"), now: Self.start + .seconds(1)).evicted == nil
        )
        // Another part of a held set evicts nothing.
        #expect(
            try reassembler.partReceived(Self.part("050003010302 43"), now: Self.start + .seconds(2)).evicted == nil
        )
        let outcome = try reassembler.partReceived(Self.part("050003030201 44"), now: Self.start + .seconds(3))
        let evicted = try #require(outcome.evicted)
        #expect(evicted.reference == 1)
        #expect(!evicted.isComplete)
        #expect(evicted.parts.map(\.sequence) == [1, 2])
        #expect(evicted.missingSequences == [3])
        #expect(reassembler.pendingCount == 2)
    }

    @Test func malformedHeadersAreErrorsNotCrashes() throws {
        var reassembler = try Self.reassembler()
        #expect(throws: UserDataHeaderError.headerLengthBeyondData(headerLength: 5, available: 2)) {
            try reassembler.partReceived(Self.part("050003"), now: Self.start)
        }
        #expect(throws: UserDataHeaderError.missingHeader) {
            try reassembler.partReceived(Self.part(""), now: Self.start)
        }
        var generator = SeededRandom(seed: 42)
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...12, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length > 1 { bytes[0] = UInt8.random(in: 0...UInt8(length + 1), using: &generator) }
            let part = DeliverSM(
                source: Self.handset,
                destination: Self.service,
                esmClass: .udhi,
                shortMessage: ByteBuffer(bytes: bytes)
            )
            if let outcome = try? reassembler.partReceived(part, now: Self.start) {
                _ = outcome
            }
        }
        _ = reassembler.expire(now: Self.start + .seconds(3_600))
        #expect(reassembler.pendingCount == 0)
    }

    @Test func packedGSM7PartsAreUnpackedPerPart() throws {
        let segmenter = try MessageSegmenter(configuration: .init(packsGSM7: true))
        let text = String(repeating: "Packed text with {braces} and € ", count: 8)
        let segments = try segmenter.segments(for: text, encoding: .gsm7, reference: 0x33)
        #expect(segments.count == 2)
        var reassembler = try Self.reassembler()
        let template = DeliverSM(source: Self.handset, destination: Self.service)
        _ = try reassembler.partReceived(template.applying(segments[1]), now: Self.start)
        let message = try #require(
            Self.delivered(try reassembler.partReceived(template.applying(segments[0]), now: Self.start))
        )
        #expect(message.text(packedGSM7: true) == text)
    }

    @Test func invalidConfigurationNamesTheKey() {
        #expect(throws: Reassembler.ConfigurationError(key: "maximumPendingSets", reason: "must be at least 1, got 0"))
        {
            try Reassembler(configuration: .init(maximumPendingSets: 0))
        }
        #expect(throws: Reassembler.ConfigurationError.self) {
            try Reassembler(configuration: .init(timeout: .zero))
        }
    }
}
