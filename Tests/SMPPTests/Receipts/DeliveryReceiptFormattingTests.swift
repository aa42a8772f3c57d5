import SMPP
import Testing

@Suite struct DeliveryReceiptFormattingTests {
    private let example = DeliveryReceipt(
        id: "0000000001",
        submitDate: CivilDateTime(year: 2025, month: 1, day: 1, hour: 12, minute: 0),
        doneDate: CivilDateTime(year: 2025, month: 1, day: 1, hour: 12, minute: 1, second: 30),
        state: .delivered,
        text: "Hello"
    )

    @Test func canonicalFormWithTenDigitDates() {
        #expect(
            self.example.formatted()
                == "id:0000000001 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello"
        )
    }

    @Test func twelveDigitDates() {
        #expect(
            self.example.formatted(.init(dateLength: .twelveDigits))
                == "id:0000000001 sub:001 dlvrd:001 submit date:250101120000 done date:250101120130 stat:DELIVRD err:000 text:Hello"
        )
    }

    @Test func typedInitialiserDefaults() {
        let failed = DeliveryReceipt(id: "7", submitDate: nil, doneDate: nil, state: .undeliverable, error: "34")
        #expect(failed.formatted() == "id:7 sub:001 dlvrd:000 stat:UNDELIV err:034")
        #expect(failed.delivered == 0)
        let odd = DeliveryReceipt(id: "7", submitDate: nil, doneDate: nil, state: MessageState(rawValue: 42))
        #expect(odd.stat == "UNKNOWN")
    }

    @Test func textIsCutToTwentyCharactersUnlessAskedOtherwise() {
        var receipt = self.example
        receipt.raw.text = "The quick brown fox jumps over the lazy dog"
        #expect(receipt.formatted().hasSuffix(" text:The quick brown fox "))
        #expect(
            receipt.formatted(.init(maximumTextLength: nil)).hasSuffix(
                " text:The quick brown fox jumps over the lazy dog"
            )
        )
    }

    @Test func errIsPaddedOnlyWhenNumericAndShort() {
        var receipt = self.example
        receipt.raw.err = "0"
        #expect(receipt.formatted().contains(" err:000 "))
        receipt.raw.err = "X0A"
        #expect(receipt.formatted().contains(" err:X0A "))
        receipt.raw.err = "1234"
        #expect(receipt.formatted().contains(" err:1234 "))
    }

    @Test func parsedReceiptIsNormalised() throws {
        let receipt = try #require(
            DeliveryReceipt(parsing: "ID:5 SUB:1 dlvrd:1 Submit\nDate:20250101120000 stat:DELIVRD err:7")
        )
        #expect(receipt.formatted() == "id:5 sub:001 dlvrd:001 submit date:2501011200 stat:DELIVRD err:007")
    }

    @Test func unreadableValuesAreWrittenAsReceived() throws {
        let receipt = try #require(DeliveryReceipt(parsing: "id:5 sub:one submit date:2513011200 stat:NOROUTE"))
        #expect(receipt.formatted() == "id:5 sub:one submit date:2513011200 stat:NOROUTE")
    }

    @Test func randomReceiptsRoundTrip() throws {
        var generator = ReceiptGenerator(seed: 0xD1_5EA5E)
        for iteration in 0..<3_000 {
            let receipt = generator.receipt()
            let options = DeliveryReceipt.FormattingOptions(
                dateLength: iteration % 2 == 0 ? .tenDigits : .twelveDigits,
                maximumTextLength: nil
            )
            let text = receipt.formatted(options)
            guard let parsed = DeliveryReceipt(parsing: text) else {
                Issue.record("could not parse \(text.debugDescription)")
                return
            }
            self.expectSameValues(parsed, receipt, tenDigitDates: options.dateLength == .tenDigits, text: text)
            // Formatting is a fixed point after one round.
            #expect(parsed.formatted(options) == text)
        }
    }

    @Test func noisyRenderingsParseToTheSameValues() throws {
        var generator = ReceiptGenerator(seed: 0x0BAD_F00D)
        for _ in 0..<3_000 {
            let receipt = generator.receipt()
            let text = generator.noisyText(receipt)
            guard let parsed = DeliveryReceipt(parsing: text) else {
                Issue.record("could not parse \(text.debugDescription)")
                return
            }
            self.expectSameValues(parsed, receipt, tenDigitDates: false, text: text)
            #expect(parsed.raw.additional.isEmpty, "\(text.debugDescription)")
        }
    }

    private func expectSameValues(
        _ parsed: DeliveryReceipt,
        _ original: DeliveryReceipt,
        tenDigitDates: Bool,
        text: String
    ) {
        func minutes(_ date: CivilDateTime?) -> CivilDateTime? {
            guard var date, tenDigitDates else { return date }
            date.second = 0
            return date
        }
        let context = Comment(rawValue: text.debugDescription)
        #expect(parsed.id == original.id, context)
        #expect(parsed.submitted == original.submitted, context)
        #expect(parsed.delivered == original.delivered, context)
        #expect(parsed.submitDate == minutes(original.submitDate), context)
        #expect(parsed.doneDate == minutes(original.doneDate), context)
        #expect(parsed.stat == original.stat, context)
        #expect(parsed.state == original.state, context)
        #expect(parsed.errorCode == original.errorCode, context)
        if original.errorCode == nil { #expect(parsed.error == original.error, context) }
        #expect(parsed.text == original.text, context)
    }
}
