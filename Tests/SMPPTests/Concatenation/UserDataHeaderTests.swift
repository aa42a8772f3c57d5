import NIOCore
import SMPP
import Testing

@Suite struct UserDataHeaderTests {
    typealias Support = TextTestSupport
    typealias Element = UserDataHeader.Element

    @Test func buildsConcatenationHeaders() throws {
        let header8 = UserDataHeader(elements: [.concatenation(reference: 0x2A, total: 3, sequence: 1)])
        #expect(Support.hex(try header8.encoded()) == "0500032A0301")
        #expect(header8.encodedLength == 6)
        let header16 = UserDataHeader(elements: [.concatenation(reference16: 0x1234, total: 2, sequence: 2)])
        #expect(Support.hex(try header16.encoded()) == "06080412340202")
        var buffer = ByteBuffer()
        try header16.write(to: &buffer)
        #expect(Support.hex(buffer) == "06080412340202")
    }

    @Test func buildsPortsWithConcatenation() throws {
        let header = UserDataHeader(elements: [
            .applicationPorts(ApplicationPorts(destination: 0x0B84, originator: 0x23F0)),
            .concatenation(reference: 0x07, total: 2, sequence: 1),
        ])
        #expect(Support.hex(try header.encoded()) == "0B05040B8423F00003070201")
        let ports8 = Element.applicationPorts(ApplicationPorts(destination: 0x10, originator: 0x20, is16Bit: false))
        #expect(ports8 == Element(identifier: 0x04, data: [0x10, 0x20]))
    }

    @Test func splitsHeaderFromText() throws {
        let userData = ByteBuffer(bytes: Support.bytes("0500032A0302 48 69"))
        let (header, rest) = try UserDataHeader.split(userData)
        #expect(header.elements == [Element(identifier: 0x00, data: [0x2A, 0x03, 0x02])])
        #expect(header.concatenation == ConcatenationInfo(reference: 0x2A, total: 3, sequence: 2))
        #expect(Support.hex(rest) == "4869")
        #expect(header.encodedLength == 6)
    }

    @Test func readsSixteenBitReferencesAndPorts() throws {
        let userData = ByteBuffer(bytes: Support.bytes("0C 05040B8423F0 08 04 BEEF 05 05"))
        let (header, rest) = try UserDataHeader.split(userData)
        #expect(rest.readableBytes == 0)
        #expect(header.concatenation == ConcatenationInfo(reference: 0xBEEF, total: 5, sequence: 5))
        #expect(header.applicationPorts == ApplicationPorts(destination: 0x0B84, originator: 0x23F0, is16Bit: true))
        let ports8 = try UserDataHeader.split(ByteBuffer(bytes: Support.bytes("04 04 02 10 20 FF"))).header
        #expect(ports8.applicationPorts == ApplicationPorts(destination: 0x10, originator: 0x20, is16Bit: false))
        #expect(ports8.concatenation == nil)
    }

    @Test func ignoresImpossibleConcatenationNumbersAndUnknownElements() throws {
        // Part 0, part beyond total, total 0, wrong IEDL: not a concatenation element.
        for hex in ["0500032A0300", "0500032A0204", "0500032A0000", "0400022A03", "06 00 04 2A 03 01 00"] {
            let header = try UserDataHeader.split(ByteBuffer(bytes: Support.bytes(hex))).header
            #expect(header.concatenation == nil, "\(hex)")
        }
        // An unknown element before the concatenation element is kept and skipped.
        let header = try UserDataHeader.split(ByteBuffer(bytes: Support.bytes("08 24 01 AA 00 03 01 02 02"))).header
        #expect(header.elements.first == Element(identifier: 0x24, data: [0xAA]))
        #expect(header.concatenation == ConcatenationInfo(reference: 1, total: 2, sequence: 2))
        // When repeated, the last valid element wins.
        let repeated = try UserDataHeader.split(ByteBuffer(bytes: Support.bytes("0A 00 03 01 02 01 00 03 09 02 02")))
            .header
        #expect(repeated.concatenation == ConcatenationInfo(reference: 9, total: 2, sequence: 2))
    }

    @Test func malformedHeadersGiveTypedErrors() {
        #expect(throws: UserDataHeaderError.missingHeader) {
            try UserDataHeader.split(ByteBuffer())
        }
        #expect(throws: UserDataHeaderError.headerLengthBeyondData(headerLength: 5, available: 2)) {
            try UserDataHeader.split(ByteBuffer(bytes: [0x05, 0x00, 0x03]))
        }
        #expect(
            throws: UserDataHeaderError.elementLengthBeyondHeader(identifier: 0x00, offset: 0, length: 3, remaining: 1)
        ) {
            try UserDataHeader.split(ByteBuffer(bytes: [0x03, 0x00, 0x03, 0x2A, 0x41, 0x42]))
        }
        #expect(throws: UserDataHeaderError.truncatedElement(offset: 2)) {
            try UserDataHeader.split(ByteBuffer(bytes: [0x03, 0x24, 0x00, 0x00, 0x41]))
        }
        #expect(throws: UserDataHeaderError.elementTooLong(identifier: 0x70, length: 256)) {
            try UserDataHeader(elements: [Element(identifier: 0x70, data: Array(repeating: 0, count: 256))]).encoded()
        }
        #expect(throws: UserDataHeaderError.headerTooLong(length: 259)) {
            try UserDataHeader(
                elements: Array(repeating: Element(identifier: 0x70, data: Array(repeating: 0, count: 127)), count: 2)
            ).encoded()
        }
        let description = UserDataHeaderError.headerLengthBeyondData(headerLength: 5, available: 2).description
        #expect(description == "UDHL 5 exceeds the 2 octets of user data after it")
    }

    @Test func randomOctetsNeverCrashAndParsedHeadersReencodeExactly() throws {
        var generator = SeededRandom(seed: 0x5EED_0DD)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...24, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = UInt8.random(in: 0...UInt8(min(30, length + 2)), using: &generator) }
            let userData = ByteBuffer(bytes: bytes)
            do {
                let (header, rest) = try UserDataHeader.split(userData)
                #expect(try header.encoded() + Array(rest.readableBytesView) == bytes)
                _ = header.concatenation
                _ = header.applicationPorts
            } catch {
                _ = error.description
            }
        }
    }

    @Test func concatenationOfPDUs() {
        var message = SubmitSM(
            source: Address("1"),
            destination: Address("2"),
            esmClass: .udhi,
            shortMessage: ByteBuffer(bytes: Support.bytes("0500032A0301 41"))
        )
        #expect(message.concatenation == ConcatenationInfo(reference: 0x2A, total: 3, sequence: 1))
        message.shortMessage = ByteBuffer(bytes: [0x09, 0x00])
        #expect(message.concatenation == nil)
        message.esmClass = .defaultMode
        message.tlvs.sarMessageReference = 0x0102
        message.tlvs.sarTotalSegments = 2
        message.tlvs.sarSegmentSequence = 2
        #expect(message.concatenation == ConcatenationInfo(reference: 0x0102, total: 2, sequence: 2))
        message.tlvs.sarSegmentSequence = 3
        #expect(message.concatenation == nil)

        var data = DataSM(source: Address("1"), destination: Address("2"), esmClass: .udhi)
        data.tlvs.messagePayload = ByteBuffer(bytes: Support.bytes("06080400070202 41"))
        #expect(data.concatenation == ConcatenationInfo(reference: 7, total: 2, sequence: 2))
        #expect(Support.hex(data.userData) == "0608040007020241")
    }
}
