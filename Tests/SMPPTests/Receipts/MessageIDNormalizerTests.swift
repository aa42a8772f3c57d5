import SMPP
import Testing

@Suite struct MessageIDNormalizerTests {
    private let auto = MessageIDNormalizer(mode: .auto)

    @Test func exactComparesAsWritten() {
        let exact = MessageIDNormalizer(mode: .exact)
        #expect(exact.matches(submitted: "abc", receipted: "abc"))
        #expect(!exact.matches(submitted: "abc", receipted: "ABC"))
    }

    @Test func caseLeadingZerosAndDashesDoNotMatter() {
        let canonical = MessageIDNormalizer(mode: .canonical)
        #expect(canonical.matches(submitted: "00001a2b", receipted: "1A2B"))
        #expect(
            canonical.matches(
                submitted: "0f8e2a61-5b2c-4d1e-9a3b-6c7d8e9f0a1b",
                receipted: "0F8E2A615B2C4D1E9A3B6C7D8E9F0A1B"
            )
        )
        #expect(canonical.matches(submitted: "0000", receipted: "0"))
        #expect(!canonical.matches(submitted: "1A2B", receipted: "6699"))
    }

    @Test func hexSubmitDecimalReceipt() {
        // submit_sm_resp 3B9ACA2F, receipt 1000000047 — the classic 3.3-era mismatch.
        #expect(MessageIDNormalizer(mode: .receiptDecimal).matches(submitted: "3B9ACA2F", receipted: "1000000047"))
        #expect(self.auto.matches(submitted: "3b9aca2f", receipted: "1000000047"))
        #expect(self.auto.matches(submitted: "3B9ACA2F", receipted: "0000001000000047"))
    }

    @Test func decimalSubmitHexReceipt() {
        #expect(MessageIDNormalizer(mode: .receiptHex).matches(submitted: "1000000047", receipted: "3B9ACA2F"))
        #expect(self.auto.matches(submitted: "1000000047", receipted: "3b9aca2f"))
    }

    @Test func autoTriesTheCanonicalFormFirst() {
        // "1234" is valid decimal and valid hex: the id as written comes first.
        #expect(self.auto.candidates(forReceipted: "001234") == ["1234", "4D2", "4660"])
        #expect(self.auto.candidates(forReceipted: "1a2b") == ["1A2B", "6699"])
        #expect(self.auto.candidates(forReceipted: "a-b_c") == ["AB_C"])
    }

    @Test func oversizedNumbersAreNotConverted() {
        #expect(
            self.auto.candidates(forReceipted: "123456789012345678901234567890") == ["123456789012345678901234567890"]
        )
    }
}
