import NIOCore
import SMPP
import Testing

@Suite struct GSM7Tests {
    typealias Support = TextTestSupport

    @Test func everyBasicCharacterRoundTrips() throws {
        #expect(Support.gsmBasic.count == 128)
        for (code, character) in Support.gsmBasic.enumerated() where code != 0x1B {
            let septets = try GSM7.septets(from: String(character))
            #expect(septets == [UInt8(code)], "\(character.debugDescription)")
            #expect(GSM7.string(fromSeptets: septets) == String(character))
            #expect(GSM7.septetCount(of: String(character)) == 1)
        }
    }

    @Test func everyExtensionCharacterRoundTripsAsEscapePair() throws {
        for (code, character) in Support.gsmExtension {
            let septets = try GSM7.septets(from: String(character))
            #expect(septets == [0x1B, code], "\(character.debugDescription)")
            #expect(GSM7.string(fromSeptets: septets) == String(character))
            #expect(GSM7.septetCount(of: String(character)) == 2)
        }
    }

    @Test func wholeAlphabetRoundTripsInOneString() throws {
        var text = String(Support.gsmBasic.enumerated().filter { $0.offset != 0x1B }.map(\.element))
        text += String(Support.gsmExtension.map(\.character))
        let septets = try GSM7.septets(from: text)
        #expect(septets.count == 127 + 2 * 10)
        #expect(septets.allSatisfy { $0 < 0x80 })
        #expect(GSM7.string(fromSeptets: septets) == text)
    }

    @Test func tableCornersMatchTheStandard() throws {
        // The usual mix-ups: $ is 0x02 (0x24 is ¤), @ is 0x00 (0x40 is ¡), 0x09 is capital Ç.
        #expect(try GSM7.septets(from: "$¤@¡Ç_") == [0x02, 0x24, 0x00, 0x40, 0x09, 0x11])
        #expect(throws: TextEncodingError.self) { try GSM7.septets(from: "`") }
        #expect(try GSM7.septets(from: "Hello") == Support.bytes("48 65 6C 6C 6F"))
    }

    @Test func euroCountsTwoSeptets() throws {
        #expect(GSM7.septetCount(of: "€") == 2)
        #expect(GSM7.septetCount(of: "10 €") == 5)
        // 160 septets with three € hold 157 characters.
        let text = String(repeating: "a", count: 154) + "€€€"
        #expect(text.count == 157)
        #expect(GSM7.septetCount(of: text) == 160)
        #expect(try GSM7.septets(from: text).count == 160)
    }

    @Test func canonicallyEquivalentSpellingsAreAccepted() throws {
        // "é" as e + combining acute, the Ohm sign, the Angstrom sign.
        #expect(try GSM7.septets(from: "caf\u{65}\u{301}") == [0x63, 0x61, 0x66, 0x05])
        #expect(try GSM7.septets(from: "\u{2126}") == [0x15])
        #expect(try GSM7.septets(from: "\u{212B}") == [0x0E])
        #expect(GSM7.septetCount(of: "e\u{301}!") == 2)
        // CR LF is one Character of two encodable scalars.
        #expect(try GSM7.septets(from: "a\r\nb") == [0x61, 0x0D, 0x0A, 0x62])
    }

    @Test func unencodableCharacterIsNamedWithItsOffset() {
        #expect(GSM7.septetCount(of: "Hi 😀") == nil)
        #expect(!GSM7.canEncode("ç"))  // only capital Ç is in the table
        do {
            _ = try GSM7.septets(from: "Grüße, 👋🏽 and more")
            Issue.record("expected an error")
        } catch {
            #expect(error.encoding == .gsm7)
            #expect(error.character == "👋🏽")
            #expect(error.scalars == ["\u{1F44B}", "\u{1F3FD}"])
            #expect(error.characterOffset == 7)
            #expect(error.description.contains("U+1F44B U+1F3FD"))
            #expect(error.description.contains("offset 7"))
            #expect(error.description.contains("GSM 03.38"))
        }
        do {
            _ = try GSM7.septets(from: "a\u{301}")
            Issue.record("expected an error")
        } catch {
            #expect(error.character == "a\u{301}")
            #expect(error.characterOffset == 0)
        }
    }

    @Test func decodingIsLenient() {
        // ESC + a code the extension table does not define gives the basic character for that code.
        #expect(GSM7.string(fromSeptets: [0x1B, 0x41]) == "A")
        // ESC + CR2 gives CR, ESC ESC (reserved) a space.
        #expect(GSM7.string(fromSeptets: [0x1B, 0x0D]) == "\r")
        #expect(GSM7.string(fromSeptets: [0x1B, 0x1B, 0x41]) == " A")
        // A trailing lone ESC is a space.
        #expect(GSM7.string(fromSeptets: [0x41, 0x1B]) == "A ")
        // Bit 7 is masked.
        #expect(GSM7.string(fromSeptets: [0xC1, 0x9B, 0xE5]) == "A€")
        #expect(GSM7.string(fromSeptets: []) == "")
        #expect(GSM7.string(fromSeptets: ByteBuffer(bytes: [0x48, 0x69]).readableBytesView) == "Hi")
    }

    @Test func decodesEveryOctetWithoutCrashing() {
        for first in UInt8.min...UInt8.max {
            for second in [UInt8(0x00), 0x1B, 0x65, 0x7F, 0xFF] {
                _ = GSM7.string(fromSeptets: [first, second])
                _ = GSM7.string(fromSeptets: [second, first, 0x1B])
            }
        }
    }
}
