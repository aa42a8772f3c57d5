import NIOCore
import SMPP
import Testing

/// C-Octet String fields keep their exact octets through decode → encode, also when they are not
/// UTF-8 (a Latin-1 sender, a stray octet): octets outside valid UTF-8 read as U+F700 + octet.
@Suite struct CStringOctetsTests {
    /// A submit_sm from `source` (its raw octets) to 447700900001, "Hi".
    private func submitSM(source: [UInt8]) -> [UInt8] {
        let body =
            wire("00", "05 00") + source + [0]
            + wire("01 01", .cString("447700900001"), "00 00 00 00 00 00 00 00 00 02", .text("Hi"))
        let length = UInt32(16 + body.count)
        return withUnsafeBytes(of: length.bigEndian) { Array($0) } + wire("00000004 00000000 00000001") + body
    }

    private func roundTrip(_ bytes: [UInt8]) throws -> (frame: SMPPFrame, encoded: [UInt8]) {
        var input = ByteBuffer(bytes: bytes)
        let frame = try #require(try input.readSMPPFrame())
        #expect(input.readableBytes == 0)
        var output = ByteBuffer()
        try output.writeSMPPFrame(frame)
        return (frame, output.bytes)
    }

    @Test func aLatin1SenderReadsAsEscapedOctetsAndIsWrittenBackExactly() throws {
        let bytes = self.submitSM(source: [0x43, 0x61, 0x66, 0xE9])  // "Café" in Latin-1
        let (frame, encoded) = try self.roundTrip(bytes)
        guard case .submitSM(let message) = frame.pdu else {
            Issue.record("expected submit_sm")
            return
        }
        #expect(message.source.value == "Caf\u{F7E9}")
        #expect(message.source.value.smppOctets == [0x43, 0x61, 0x66, 0xE9])
        #expect(encoded == bytes)
    }

    @Test func aSenderAtItsMaximumInLatin1StillFitsWhenWrittenBack() throws {
        // 20 octets of Latin-1 (the maximum of source_addr without its NUL): as U+FFFD they would
        // have become 60 octets of UTF-8, too long to encode.
        let source = [UInt8](repeating: 0xE9, count: 20)
        let bytes = self.submitSM(source: source)
        let (frame, encoded) = try self.roundTrip(bytes)
        guard case .submitSM(let message) = frame.pdu else {
            Issue.record("expected submit_sm")
            return
        }
        #expect(message.source.value.unicodeScalars.count == 20)
        #expect(encoded == bytes)
    }

    @Test func validUTF8ReadsAsText() throws {
        let bytes = self.submitSM(source: Array("Café €".utf8))
        let (frame, encoded) = try self.roundTrip(bytes)
        guard case .submitSM(let message) = frame.pdu else {
            Issue.record("expected submit_sm")
            return
        }
        #expect(message.source.value == "Café €")
        #expect(encoded == bytes)
    }

    @Test(
        arguments: [
            ("lone continuation octet", [0x80]),
            ("truncated two-octet sequence", [0x61, 0xC3]),
            ("truncated three-octet sequence", [0xE2, 0x82, 0x61]),
            ("overlong NUL", [0xC0, 0x80]),
            ("overlong slash", [0xE0, 0x80, 0xAF]),
            ("UTF-16 surrogate", [0xED, 0xA0, 0x80]),
            ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("invalid lead octets", [0xF5, 0xFE, 0xFF]),
            ("UTF-8 of U+F780, the first escape scalar", [0xEF, 0x9E, 0x80]),
            ("UTF-8 of U+F7FF, the last escape scalar", [0xEF, 0x9F, 0xBF]),
            ("UTF-8 just outside the escape scalars", [0xEF, 0x9D, 0xBF, 0xEF, 0xA0, 0x80]),
            ("Latin-1 between UTF-8", [0xC3, 0xA9, 0xE9, 0xC3, 0xA9]),
            ("escape-looking octets then valid", [0xEF, 0x9E, 0xC3, 0xA9]),
        ] as [(String, [UInt8])]
    )
    func octetsThatAreNotPlainUTF8SurviveDecodeAndEncode(_ name: String, _ octets: [UInt8]) throws {
        let text = String(smppOctets: octets)
        #expect(text.smppOctets == octets, "\(name)")
        let bytes = self.submitSM(source: octets)
        #expect(try self.roundTrip(bytes).encoded == bytes, "\(name)")
    }

    @Test func everyOctetStringSurvives() {
        var random = SeededRandom(seed: 0x0C7E7)
        for _ in 0..<20_000 {
            // Mostly high octets, so that valid and invalid UTF-8 and the escape range all occur.
            let count = Int.random(in: 1...20, using: &random)
            let octets = (0..<count).map { _ in
                Bool.random(using: &random)
                    ? UInt8.random(in: 0x80...0xFF, using: &random)
                    : [0x41, 0xC3, 0xE2, 0xEF, 0x9E, 0x9F, 0xF0, 0xA9].randomElement(using: &random)!
            }
            let text = String(smppOctets: octets)
            #expect(text.smppOctets == octets, "\(hexString(octets))")
            #expect(String(smppOctets: text.smppOctets) == text)
        }
    }

    @Test func anEscapeScalarInAStringIsWrittenAsItsOctet() throws {
        // The documented other direction: a value built with U+F7E9 goes out as the octet 0xE9.
        let frame = SMPPFrame(
            .submitSM(
                SubmitSM(
                    source: Address(ton: .alphanumeric, npi: .unknown, "Caf\u{F7E9}"),
                    destination: Address(ton: .international, npi: .isdn, "447700900001"),
                    shortMessage: ByteBuffer(string: "Hi")
                )
            ),
            sequenceNumber: 1
        )
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(frame)
        #expect(buffer.bytes == self.submitSM(source: [0x43, 0x61, 0x66, 0xE9]))
    }

    @Test func fieldMaximaCountOctets() throws {
        // 20 escaped octets fit source_addr (21 with NUL); 21 do not.
        let fits = String(repeating: "\u{F7E9}", count: 20)
        let tooLong = String(repeating: "\u{F7E9}", count: 21)
        func frame(_ source: String) -> SMPPFrame {
            SMPPFrame(
                .submitSM(
                    SubmitSM(
                        source: Address(ton: .alphanumeric, npi: .unknown, source),
                        destination: Address(ton: .international, npi: .isdn, "447700900001")
                    )
                ),
                sequenceNumber: 1
            )
        }
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(frame(fits))
        let error = try #require(throws: SMPPEncodingError.self) { try buffer.writeSMPPFrame(frame(tooLong)) }
        #expect(error.kind == .valueTooLong(.sourceAddress, length: 21, maximum: 21))
    }

    @Test func aTimeFieldIsSixteenOctets() throws {
        // A corrupted time of 16 octets (one not UTF-8) keeps its length, decodes and is written back.
        var octets = Array("251231235959000+".utf8)
        octets[3] = 0xB1
        let time = String(smppOctets: octets)
        let frame = SMPPFrame(
            .querySMResp(QuerySMResponse(messageID: "1", finalDate: time, messageState: .delivered, errorCode: 0)),
            sequenceNumber: 1
        )
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(frame)
        let bytes = buffer.bytes
        #expect(bytes == wire("00000025 80000003 00000000 00000001", .cString("1")) + octets + [0, 2, 0])
        #expect(try self.roundTrip(bytes).frame == frame)
    }

    @Test func cStringTLVsUseTheSameMapping() throws {
        // receipted_message_id with a stray octet reads as the same String a submit_sm_resp gives.
        let octets: [UInt8] = [0x41, 0xFF, 0x42]
        let tlv = TLV(tag: .receiptedMessageID, bytes: octets + [0])
        #expect(tlv.stringValue == String(smppOctets: octets))
        #expect(TLV(tag: .receiptedMessageID, cString: tlv.stringValue) == tlv)
        var response = ByteBuffer(bytes: wire("00000014 80000004 00000000 00000001") + octets + [0])
        guard case .submitSMResp(let decoded) = try #require(try response.readSMPPFrame()).pdu else {
            Issue.record("expected submit_sm_resp")
            return
        }
        #expect(decoded.messageID == tlv.stringValue)
    }
}
