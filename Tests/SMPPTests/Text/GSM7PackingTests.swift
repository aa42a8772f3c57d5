import SMPP
import Testing

@Suite struct GSM7PackingTests {
    typealias Support = TextTestSupport

    // Vectors from 3GPP TS 23.038 §6.1.2.1 and the widely quoted "hellohello" example, checked
    // against an independent bit-list implementation (see the commit message).
    @Test(arguments: [
        ("hellohello", 0, "E8329BFD4697D9EC37"),
        ("Hello", 0, "C8329BFD06"),
        ("12345678", 0, "31D98C56B3DD70"),
        ("hellohello", 1, "D06536FB8D2EB3D96F"),
        ("abc", 1, "C2E231"),
    ])
    func packsKnownVectors(text: String, fillBits: Int, hex: String) throws {
        let septets = try GSM7.septets(from: text)
        #expect(Support.hex(GSM7.pack(septets, fillBits: fillBits)) == hex)
        #expect(GSM7.unpack(Support.bytes(hex), fillBits: fillBits) == septets)
        #expect(GSM7.unpack(Support.bytes(hex), septetCount: septets.count, fillBits: fillBits) == septets)
    }

    @Test func sevenSpareBitsArePaddedWithCR() throws {
        // 7 septets = 49 bits: the last octet has 7 spare bits, which carry CR rather than zeros.
        let septets = try GSM7.septets(from: "1234567")
        let packed = GSM7.pack(septets)
        #expect(Support.hex(packed) == "31D98C56B3DD1A")
        #expect(GSM7.unpack(packed) == septets)
        // With zero padding the spare bits are indistinguishable from a final "@" unless the count is given.
        let zeroPadded = Support.bytes("31D98C56B3DD00")
        #expect(GSM7.string(fromSeptets: GSM7.unpack(zeroPadded)) == "1234567@")
        #expect(GSM7.string(fromSeptets: GSM7.unpack(zeroPadded, septetCount: 7)) == "1234567")
    }

    @Test func fillBitsAfterHeaders() {
        #expect(GSM7.fillBits(afterHeaderOfLength: 0) == 0)
        #expect(GSM7.fillBits(afterHeaderOfLength: 6) == 1)
        #expect(GSM7.fillBits(afterHeaderOfLength: 7) == 0)
        #expect(GSM7.fillBits(afterHeaderOfLength: 12) == 2)
    }

    @Test func packAndUnpackRoundTripEveryLengthAndFill() {
        var generator = SeededRandom(seed: 7)
        for length in 0...40 {
            for fillBits in 0...6 {
                let septets = (0..<length).map { _ in UInt8.random(in: 0...0x7F, using: &generator) }
                let packed = GSM7.pack(septets, fillBits: fillBits)
                #expect(packed.count == (fillBits + 7 * length + 7) / 8)
                #expect(GSM7.unpack(packed, septetCount: length, fillBits: fillBits) == septets)
            }
        }
    }

    @Test func unpackClampsImpossibleCounts() {
        #expect(GSM7.unpack([0xC8], septetCount: 5) == [0x48])
        #expect(GSM7.unpack([], septetCount: 3) == [])
        #expect(GSM7.unpack([0xFF], septetCount: -1) == [])
        #expect(GSM7.unpack([0xFF], fillBits: 6) == [])
    }
}
