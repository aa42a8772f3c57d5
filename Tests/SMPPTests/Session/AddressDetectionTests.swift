import SMPP
import Testing

@Suite struct AddressDetectionTests {
    @Test func internationalNumbers() {
        #expect(Address(detecting: "+447700900123") == Address(ton: .international, npi: .isdn, "447700900123"))
        #expect(Address(detecting: "447700900123") == Address(ton: .international, npi: .isdn, "447700900123"))
    }

    @Test func shortCodesAndSenderNames() {
        #expect(Address(detecting: "7726") == Address(ton: .unknown, npi: .isdn, "7726"))
        #expect(Address(detecting: "MyShop") == Address(ton: .alphanumeric, npi: .unknown, "MyShop"))
        #expect(Address(detecting: "+44 77") == Address(ton: .alphanumeric, npi: .unknown, "+44 77"))
        #expect(Address(detecting: "+") == Address(ton: .alphanumeric, npi: .unknown, "+"))
    }
}
