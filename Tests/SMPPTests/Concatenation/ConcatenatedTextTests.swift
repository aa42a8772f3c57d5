import SMPP
import Testing

@Suite struct ConcatenatedTextTests {
    @Test func partsOfOneCodingAreDecodedJoined() throws {
        // An escape (€ is 1B 65) and a surrogate pair cut between parts still decode.
        let gsm = ConcatenatedText(parts: [(.smscDefault, [0x41, 0x1B]), (.smscDefault, [0x65, 0x42])])
        #expect(gsm == ConcatenatedText(dataCoding: .smscDefault, text: "A€B"))
        let ucs2 = ConcatenatedText(parts: [(.ucs2, [0x00, 0x41, 0xD8, 0x3D]), (.ucs2, [0xDE, 0x00])])
        #expect(ucs2 == ConcatenatedText(dataCoding: .ucs2, text: "A😀"))
    }

    @Test func partsOfDifferentCodingsAreEachDecodedWithTheirOwn() throws {
        let gsm = try GSM7.septets(from: "gsm part-")
        let ucs2 = try TextEncoding.ucs2.encode("ucs part ü")
        #expect(
            ConcatenatedText(parts: [(.smscDefault, gsm), (.ucs2, ucs2)])
                == ConcatenatedText(dataCoding: .smscDefault, text: "gsm part-ucs part ü")
        )
        #expect(
            ConcatenatedText(parts: [(.ucs2, ucs2), (.smscDefault, gsm)])
                == ConcatenatedText(dataCoding: .ucs2, text: "ucs part ügsm part-")
        )
        // Runs of one coding are still decoded together: the escape cut between parts 1 and 2.
        #expect(
            ConcatenatedText(parts: [(.smscDefault, [0x41, 0x1B]), (.smscDefault, [0x65]), (.ucs2, [0x00, 0xFC])])
                == ConcatenatedText(dataCoding: .smscDefault, text: "A€ü")
        )
        // data_coding 0 is read as the connection's default alphabet.
        #expect(
            ConcatenatedText(parts: [(.smscDefault, [0xE9]), (.ucs2, [0x00, 0xFC])], smscDefault: .latin1).text == "éü"
        )
    }

    @Test func aBinaryPartMakesTheMessageOctets() {
        let text = ConcatenatedText(parts: [(.smscDefault, [0x48, 0x69]), (.binary, [0x00, 0xFF]), (.ucs2, [0x00, 0xFC])])
        #expect(text == ConcatenatedText(dataCoding: .binary, text: nil))
    }
}
