import NIOCore
import SMPP
import Testing

/// Malformed input never crashes the parser, and what it accepts is always a complete receipt.
@Suite struct DeliveryReceiptRobustnessTests {
    private static let samples = [
        "id:0000000001 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello",
        "ID:A1B2 SUB:1 DLVRD:0 SUBMIT\r\nDATE:20250101120000 DONE DATE:250101120100 STAT:UNDELIV ERR:X0A TEXT:a:b c",
        "id:9e09ac86-bd74-5465-851d-1eb5a5fdbb9a stat:NOROUTE imsi:250011234567890 rcn: rnet:",
    ]

    private func check(_ bytes: [UInt8]) {
        let buffer = ByteBuffer(bytes: bytes)
        if let receipt = DeliveryReceipt(parsing: buffer) {
            #expect(receipt.isComplete)
            _ = receipt.formatted()
            _ = (
                receipt.submitDate, receipt.doneDate, receipt.submitted, receipt.delivered, receipt.state,
                receipt.errorCode
            )
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let receipt = DeliveryReceipt(parsing: text) {
            #expect(receipt.isComplete)
        }
    }

    @Test func randomBytes() {
        var random = SeededRandom(seed: 1)
        for _ in 0..<5_000 {
            let length = Int(random.next(upperBound: UInt64(300)))
            self.check((0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
    }

    @Test func randomReceiptLikeTokens() {
        let pieces = [
            "id:", "ID:", "sub:", "dlvrd:", "submit", "done", "date:", "date", "stat:", "err:", "text:", "Text:",
            ":", " ", "  ", "\n", "\r\n", "\t", "\0", "0", "12", "2501011200", "DELIVRD", "x", "\u{FF}", "é", "imsi:",
        ]
        var random = SeededRandom(seed: 2)
        for _ in 0..<5_000 {
            let count = Int(random.next(upperBound: UInt64(30)))
            let text = (0..<count).map { _ in pieces[Int(random.next(upperBound: UInt64(pieces.count)))] }.joined()
            self.check(Array(text.utf8))
        }
    }

    @Test func everyTruncation() {
        for sample in Self.samples {
            let bytes = Array(sample.utf8)
            for end in 0...bytes.count {
                self.check(Array(bytes[..<end]))
                self.check(Array(bytes[end...]))
            }
        }
        // Cut before `stat:` has finished: not a receipt.
        #expect(DeliveryReceipt(parsing: "id:1 sub:001 sta") == nil)
        #expect(DeliveryReceipt(parsing: "id:1 sub:001 stat:") == nil)
    }

    @Test func everySingleByteMutation() {
        var random = SeededRandom(seed: 3)
        for sample in Self.samples {
            let bytes = Array(sample.utf8)
            for index in bytes.indices {
                var mutated = bytes
                mutated[index] = UInt8(truncatingIfNeeded: random.next())
                self.check(mutated)
                mutated.remove(at: index)
                self.check(mutated)
            }
        }
    }

    @Test func invalidUTF8IsReplacedNotFatal() throws {
        let receipt = try #require(
            DeliveryReceipt(
                parsing: ByteBuffer(bytes: Array("id:ab".utf8) + [0xFF] + Array(" stat:DELIVRD text:".utf8) + [0xC3])
            )
        )
        #expect(receipt.text == "\u{FFFD}")
        // The id keeps its octets, as the submit_sm_resp's message_id does: the two still match.
        #expect(receipt.id == "ab\u{F7FF}")
        var response = ByteBuffer(bytes: wire("00000014 80000004 00000000 00000001", .text("ab"), "FF 00"))
        guard case .submitSMResp(let submitted) = try #require(try response.readSMPPFrame()).pdu else {
            Issue.record("expected submit_sm_resp")
            return
        }
        #expect(receipt.id == submitted.messageID)
    }
}
