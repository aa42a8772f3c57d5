import SMPP
import Testing

@Suite struct AddressDisplayTests {
    @Test func anInternationalNumberReadsWithItsPlusWhateverTheSMSCWrote() {
        #expect(Address(ton: .international, npi: .isdn, "447700900001").displayText == "+447700900001")
        #expect(Address(ton: .international, npi: .isdn, "+447700900124").displayText == "+447700900124")
    }

    @Test func otherAddressesReadAsTheyCame() {
        #expect(Address(ton: .unknown, npi: .isdn, "447700900001").displayText == "447700900001")
        #expect(Address(ton: .national, npi: .isdn, "07700900001").displayText == "07700900001")
        #expect(Address(ton: .unknown, npi: .isdn, "+447700900001").displayText == "+447700900001")
        #expect(Address("7726").displayText == "7726")
        #expect(Address(ton: .alphanumeric, npi: .unknown, "MyShop").displayText == "MyShop")
        // TON 1 but not only digits: not made a number.
        #expect(Address(ton: .international, npi: .isdn, "Shop 1").displayText == "Shop 1")
        #expect(Address(ton: .international, npi: .isdn, "+").displayText == "+")
        #expect(Address(ton: .international, npi: .isdn, "").displayText == "")
    }

    @Test func octetsThatAreNotUTF8ReadAsLatin1() {
        // "Café" sent in Latin-1 (43 61 66 E9) is kept as U+F7E9 for writing back; people read é.
        let sender = Address(ton: .alphanumeric, npi: .unknown, String(smppOctets: [0x43, 0x61, 0x66, 0xE9]))
        #expect(sender.value == "Caf\u{F7E9}")
        #expect(sender.displayText == "Café")
        #expect(sender.displayText.unicodeScalars.map(\.value) == [0x43, 0x61, 0x66, 0xE9])
        #expect(String(smppOctets: [0xFF, 0x80, 0x41]).smppOctetsReadAsLatin1 == "\u{FF}\u{80}A")
        // Valid UTF-8 is left alone.
        #expect(Address(ton: .alphanumeric, npi: .unknown, "Café").displayText == "Café")
    }
}
