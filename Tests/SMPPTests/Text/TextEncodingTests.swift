import SMPP
import Testing

@Suite struct TextEncodingTests {
    typealias Support = TextTestSupport

    @Test func dataCodingValues() {
        #expect(TextEncoding.gsm7.dataCoding.rawValue == 0x00)
        #expect(TextEncoding.ascii.dataCoding.rawValue == 0x01)
        #expect(TextEncoding.latin1.dataCoding.rawValue == 0x03)
        #expect(TextEncoding.ucs2.dataCoding.rawValue == 0x08)
        #expect(TextEncoding(rawValue: "ucs2") == .ucs2)
        #expect(TextEncoding.allCases.count == 4)
        #expect(DataCoding(rawValue: 0x03).textEncoding == .latin1)
        #expect(DataCoding(rawValue: 0x04).textEncoding == nil)
    }

    @Test func automaticPicksGSM7WhenEverythingFits() {
        #expect(TextEncoding.automatic(for: "Hello, world!") == .gsm7)
        #expect(TextEncoding.automatic(for: "Prix: 10 € {ok} [x] ~ | ^ \\") == .gsm7)
        #expect(TextEncoding.automatic(for: "ΔΦΓΛΩΠΨΣΘΞ äöüß") == .gsm7)
        #expect(TextEncoding.automatic(for: "") == .gsm7)
        #expect(TextEncoding.automatic(for: "Hi 😀") == .ucs2)
        #expect(TextEncoding.automatic(for: "ç") == .ucs2)
        #expect(TextEncoding.automatic(for: "Привет") == .ucs2)
        #expect(TextEncoding.automatic(for: "back`tick") == .ucs2)
    }

    @Test func latin1EncodesItsRangeAndRejectsTheRest() throws {
        #expect(Support.hex(try TextEncoding.latin1.encode("Çà ÿ")) == "C7E020FF")
        // A decomposed é is accepted as its precomposed form.
        #expect(try TextEncoding.latin1.encode("e\u{301}") == [0xE9])
        #expect(TextEncoding.latin1.decode([0x41, 0xE9, 0xFF]) == "Aéÿ")
        #expect(TextEncoding.latin1.unitCount(of: "déjà") == 4)
        #expect(TextEncoding.latin1.unitCount(of: "€") == nil)
        #expect(throws: TextEncodingError(encoding: .latin1, character: "€", characterOffset: 2)) {
            try TextEncoding.latin1.encode("5 €")
        }
    }

    @Test func asciiRejectsTheUpperHalf() throws {
        #expect(try TextEncoding.ascii.encode("a~`{") == [0x61, 0x7E, 0x60, 0x7B])
        // The Kelvin sign is canonically equivalent to K.
        #expect(try TextEncoding.ascii.encode("\u{212A}") == [0x4B])
        #expect(TextEncoding.ascii.decode([0x41, 0xE9]) == "A\u{FFFD}")
        do {
            _ = try TextEncoding.ascii.encode("naïve")
            Issue.record("expected an error")
        } catch {
            #expect(error.encoding == .ascii)
            #expect(error.character == "ï")
            #expect(error.characterOffset == 2)
            #expect(
                error.description
                    == "character \"ï\" (U+00EF) at offset 2 cannot be encoded in IA5/ASCII"
            )
        }
    }

    @Test func unitCountsPerEncoding() {
        let text = "a€😀"
        #expect(TextEncoding.gsm7.unitCount(of: text) == nil)
        #expect(TextEncoding.gsm7.unitCount(of: "a€") == 3)
        #expect(TextEncoding.ucs2.unitCount(of: text) == 4)
        #expect(TextEncoding.latin1.unitCount(of: "a€") == nil)
        #expect(TextEncoding.ascii.unitCount(of: "abc") == 3)
        #expect(TextEncoding.ucs2.octetsPerUnit == 2)
        #expect(TextEncoding.gsm7.octetsPerUnit == 1)
    }

    @Test func everyEncodingRoundTripsWhatItCanEncode() throws {
        let samples: [TextEncoding: String] = [
            .gsm7: "Hello {world} €5 ÄÖÜ äöü ß @£$",
            .ascii: "plain `ascii` ~ {}",
            .latin1: "Übergröße £ ¥ ÿ",
            .ucs2: "любой 😀 текст 🇫🇷",
        ]
        for (encoding, text) in samples {
            #expect(encoding.decode(try encoding.encode(text)) == text, "\(encoding)")
            #expect(encoding.canEncode(text))
        }
    }
}
