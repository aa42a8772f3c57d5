import NIOCore
import SMPP
import Testing

@Suite struct DataCodingAlphabetTests {
    typealias Alphabet = DataCoding.Alphabet

    @Test(arguments: [
        // SMPP's own values.
        (UInt8(0x00), Alphabet.gsm7, UInt8?.none),
        (0x01, .ascii, nil),
        (0x02, .binary, nil),
        (0x03, .latin1, nil),
        (0x04, .binary, nil),
        (0x05, .unsupported(0x05), nil),
        (0x06, .cyrillic, nil),
        (0x07, .hebrew, nil),
        (0x08, .ucs2, nil),
        (0x09, .unsupported(0x09), nil),
        (0x0E, .unsupported(0x0E), nil),
        (0x0F, .unsupported(0x0F), nil),
        // GSM 00xx xxxx: general data coding.
        (0x10, .gsm7, 0),
        (0x11, .gsm7, 1),
        (0x14, .binary, 0),
        (0x15, .binary, 1),
        (0x18, .ucs2, 0),
        (0x19, .ucs2, 1),
        (0x1A, .ucs2, 2),
        (0x1C, .unsupported(0x1C), 0),
        (0x30, .unsupported(0x30), 0),
        // 01xx xxxx: same coding, marked for automatic deletion.
        (0x40, .gsm7, nil),
        (0x58, .ucs2, 0),
        // Reserved groups.
        (0x80, .unsupported(0x80), nil),
        (0xBF, .unsupported(0xBF), nil),
        // Message waiting: discard / store GSM-7, store UCS-2.
        (0xC0, .gsm7, nil),
        (0xD8, .gsm7, nil),
        (0xE0, .ucs2, nil),
        // 1111 xxxx: coding and class.
        (0xF0, .gsm7, 0),
        (0xF1, .gsm7, 1),
        (0xF3, .gsm7, 3),
        (0xF5, .binary, 1),
        (0xF6, .binary, 2),
        (0xF7, .binary, 3),
    ])
    func interpretation(raw: UInt8, alphabet: Alphabet, messageClass: UInt8?) {
        let coding = DataCoding(rawValue: raw)
        #expect(coding.alphabet == alphabet)
        #expect(coding.messageClass == messageClass)
    }

    @Test func flagsOfTheGSMGroups() {
        #expect(DataCoding(rawValue: 0x20).isCompressed)
        #expect(DataCoding(rawValue: 0x20).decodeText([0x41]) == nil)
        #expect(!DataCoding(rawValue: 0x10).isCompressed)
        #expect(!DataCoding(rawValue: 0x08).isCompressed)
        #expect(DataCoding(rawValue: 0x44).isMarkedForAutomaticDeletion)
        #expect(!DataCoding(rawValue: 0x04).isMarkedForAutomaticDeletion)
        #expect(DataCoding(rawValue: 0x04).messageWaiting == nil)
        let discard = DataCoding(rawValue: 0xC8).messageWaiting
        #expect(discard == .init(storesMessage: false, isActive: true, kind: .voicemail))
        #expect(DataCoding(rawValue: 0xD2).messageWaiting == .init(storesMessage: true, isActive: false, kind: .email))
        #expect(DataCoding(rawValue: 0xEB).messageWaiting == .init(storesMessage: true, isActive: true, kind: .other))
    }

    @Test func decodesTextPerAlphabet() {
        #expect(DataCoding(rawValue: 0x00).decodeText([0x48, 0x1B, 0x65]) == "H€")
        #expect(DataCoding(rawValue: 0x01).decodeText([0x48, 0x69]) == "Hi")
        #expect(DataCoding(rawValue: 0x03).decodeText([0xC4, 0xE9]) == "Äé")
        #expect(DataCoding(rawValue: 0x08).decodeText([0xD8, 0x3D, 0xDE, 0x00]) == "😀")
        #expect(DataCoding(rawValue: 0x18).decodeText([0x00, 0x41]) == "A")
        #expect(DataCoding(rawValue: 0xF0).decodeText([0x41, 0x00]) == "A@")
        #expect(DataCoding(rawValue: 0xE0).decodeText([0x04, 0x1F]) == "П")
        #expect(DataCoding(rawValue: 0x06).decodeText([0xBF, 0xE0, 0xF0, 0xFD, 0xA1]) == "Пр№§Ё")
        #expect(DataCoding(rawValue: 0x07).decodeText([0xF9, 0xEC, 0xE5, 0xED, 0xAA, 0xA1]) == "שלום×\u{FFFD}")
        #expect(DataCoding(rawValue: 0x04).decodeText([0x41]) == nil)
        #expect(DataCoding(rawValue: 0xF6).decodeText([0x41]) == nil)
        #expect(DataCoding(rawValue: 0x05).decodeText([0x41]) == nil)
        #expect(DataCoding(rawValue: 0x08).decodeText(ByteBuffer(bytes: [0x00, 0x42])) == "B")
    }

    @Test func smscDefaultIsConfigurable() {
        let bytes: [UInt8] = [0x40, 0xE9, 0x24]
        // GSM-7 ignores bit 7: 0xE9 is read as 0x69 "i".
        #expect(DataCoding.smscDefault.decodeText(bytes) == "¡i¤")
        #expect(DataCoding.smscDefault.decodeText(bytes, smscDefault: .latin1) == "@é$")
        #expect(DataCoding.smscDefault.decodeText(bytes, smscDefault: .ascii) == "@\u{FFFD}$")
        // Only 0x00 follows the connection's default.
        #expect(DataCoding(rawValue: 0xF0).decodeText(bytes, smscDefault: .latin1) == "¡i¤")
    }
}
