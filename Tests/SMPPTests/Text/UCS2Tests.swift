import SMPP
import Testing

@Suite struct UCS2Tests {
    typealias Support = TextTestSupport

    @Test func encodesUTF16BigEndianWithoutBOM() {
        #expect(Support.hex(UCS2.encode("Hi")) == "00480069")
        #expect(Support.hex(UCS2.encode("Привет")) == "041F04400438043204350442")
        #expect(Support.hex(UCS2.encode("€")) == "20AC")
        #expect(UCS2.encode("").isEmpty)
    }

    @Test func emojiTravelsAsSurrogatePair() {
        #expect(Support.hex(UCS2.encode("😀")) == "D83DDE00")
        #expect(UCS2.unitCount(of: "😀") == 2)
        #expect(UCS2.decode(Support.bytes("D83DDE00")) == "😀")
        #expect(UCS2.unitCount(of: "a😀b€") == 5)
        #expect(UCS2.unitCount(of: "👨‍👩‍👧") == 8)
    }

    @Test func roundTripsMixedScripts() {
        let text = "Grüße 😀 — 日本語 🇩🇪 עברית ok\r\n"
        #expect(UCS2.decode(UCS2.encode(text)) == text)
        #expect(UCS2.encode(text).count == 2 * text.utf16.count)
        #expect(UCS2.unitCount(of: text) == text.utf16.count)
    }

    @Test func unpairedSurrogatesDecodeAsReplacementCharacter() {
        #expect(UCS2.decode(Support.bytes("D83D 0041")) == "\u{FFFD}A")
        #expect(UCS2.decode(Support.bytes("DE00 0041")) == "\u{FFFD}A")
        #expect(UCS2.decode(Support.bytes("0041 D83D")) == "A\u{FFFD}")
        #expect(UCS2.decode(Support.bytes("D83D D83D DE00")) == "\u{FFFD}😀")
        // A trailing odd octet is a replacement character too.
        #expect(UCS2.decode(Support.bytes("0041 00")) == "A\u{FFFD}")
        #expect(UCS2.decode([]) == "")
    }
}
