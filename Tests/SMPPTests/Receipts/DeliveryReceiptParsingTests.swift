import NIOCore
import SMPP
import Testing

/// One test per real-world receipt variant (SMPP.md §8.2–8.3, §14), using texts published by the
/// providers SMPP.md cites where they exist.
@Suite struct DeliveryReceiptParsingTests {
    private func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> DeliveryReceipt {
        try #require(DeliveryReceipt(parsing: text), sourceLocation: sourceLocation)
    }

    private func date(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int = 0) -> CivilDateTime {
        CivilDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }

    @Test func specificationExample() throws {
        // SMPP.md §8.4 / §12.5.
        let receipt = try self.parse(
            "id:0000000001 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello"
        )
        #expect(receipt.id == "0000000001")
        #expect(receipt.submitted == 1)
        #expect(receipt.delivered == 1)
        #expect(receipt.submitDate == self.date(2025, 1, 1, 12, 0))
        #expect(receipt.doneDate == self.date(2025, 1, 1, 12, 1))
        #expect(receipt.stat == "DELIVRD")
        #expect(receipt.state == .delivered)
        #expect(receipt.error == "000")
        #expect(receipt.errorCode == 0)
        #expect(receipt.text == "Hello")
        #expect(receipt.raw.additional.isEmpty)
    }

    @Test func vonageDecimalIDWithLeadingZerosAndTextNone() throws {
        // help.nexmo.com, "How to read a Nexmo SMPP Delivery Receipt".
        let receipt = try self.parse(
            "id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 stat:DELIVRD err:000 text:none"
        )
        #expect(receipt.id == "0000000012345678")
        #expect(receipt.submitDate == self.date(2016, 1, 1, 1, 0))
        #expect(receipt.text == "none")
    }

    @Test func twelveDigitDatesAndTextWithSpaces() throws {
        // smppcenter.com, "How to read SMPP delivery receipt": 20-digit id, YYMMDDhhmmss dates.
        let receipt = try self.parse(
            "id:64567564356765435676 sub:001 dlvrd:001 submit date:190608165232 done date:190608165237 stat:DELIVRD err:000 text:Hello World"
        )
        #expect(receipt.id == "64567564356765435676")
        #expect(receipt.submitDate == self.date(2019, 6, 8, 16, 52, 32))
        #expect(receipt.doneDate == self.date(2019, 6, 8, 16, 52, 37))
        #expect(receipt.text == "Hello World")
    }

    @Test func capitalTextKeyOneDigitErrAndLineBreakInsideDoneDate() throws {
        // cardboardfish.com FAQ (also 8x8's SMPP page): `Text:` capitalised, `err:E`, and the
        // published sample wraps between "done" and "date:".
        let receipt = try self.parse(
            "id:1234567890 sub:001 dlvrd:001 submit date:2501011200 done\ndate:2501011205 stat:DELIVRD err:0 Text:Thanks for your ord"
        )
        #expect(receipt.doneDate == self.date(2025, 1, 1, 12, 5))
        #expect(receipt.error == "0")
        #expect(receipt.errorCode == 0)
        #expect(receipt.text == "Thanks for your ord")
        #expect(receipt.raw.additional.isEmpty)
    }

    @Test func textFieldAbsent() throws {
        // Stack Overflow "SMPP delivery report" sample: no `text:` at all.
        let receipt = try self.parse(
            "id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049 stat:DELIVRD err:000"
        )
        #expect(receipt.id == "40072910491427628")
        #expect(receipt.error == "000")
        #expect(receipt.text == nil)
        #expect(receipt.submitDate == self.date(2010, 7, 29, 10, 49))
    }

    @Test func lowerCaseStatWord() throws {
        // Esendex publishes carrier receipts with `stat:enroute` (lower case).
        let receipt = try self.parse(
            "id:1111111111 sub:001 dlvrd:001 submit date:2306132307 done date:2306132307 stat:enroute err:000 text:short message"
        )
        #expect(receipt.stat == "enroute")
        #expect(receipt.state == .enroute)
        #expect(receipt.state?.isFinal == false)
        #expect(receipt.text == "short message")
    }

    @Test func everythingUpperCase() throws {
        let receipt = try self.parse(
            "ID:A1B2C3D4 SUB:001 DLVRD:000 SUBMIT DATE:2501011200 DONE DATE:2501011300 STAT:UNDELIV ERR:001 TEXT:HELLO"
        )
        #expect(receipt.id == "A1B2C3D4")
        #expect(receipt.delivered == 0)
        #expect(receipt.doneDate == self.date(2025, 1, 1, 13, 0))
        #expect(receipt.state == .undeliverable)
        #expect(receipt.errorCode == 1)
        #expect(receipt.text == "HELLO")
    }

    @Test func onlyIDAndStat() throws {
        let receipt = try self.parse("id:98765 stat:DELIVRD")
        #expect(receipt.id == "98765")
        #expect(receipt.state == .delivered)
        #expect(receipt.submitted == nil)
        #expect(receipt.delivered == nil)
        #expect(receipt.submitDate == nil)
        #expect(receipt.doneDate == nil)
        #expect(receipt.error == nil)
        #expect(receipt.text == nil)
    }

    @Test func fourteenDigitDates() throws {
        // YYYYMMDDhhmmss, as cloudhopper has seen.
        let receipt = try self.parse(
            "id:77 sub:001 dlvrd:001 submit date:20250101120000 done date:20250101120159 stat:DELIVRD err:000"
        )
        #expect(receipt.submitDate == self.date(2025, 1, 1, 12, 0, 0))
        #expect(receipt.doneDate == self.date(2025, 1, 1, 12, 1, 59))
    }

    @Test func unpaddedCounts() throws {
        let receipt = try self.parse(
            "id:5 sub:1 dlvrd:1 submit date:2501011200 done date:2501011201 stat:DELIVRD err:0"
        )
        #expect(receipt.raw.sub == "1")
        #expect(receipt.submitted == 1)
        #expect(receipt.delivered == 1)
    }

    @Test func extraSpacesEverywhere() throws {
        let receipt = try self.parse(
            "  id:  12345   sub: 001  dlvrd:001   submit  date:2501011200  done   date: 2501011201 stat:  DELIVRD   err:000  text:hi  "
        )
        #expect(receipt.id == "12345")
        #expect(receipt.raw.sub == "001")
        #expect(receipt.submitDate == self.date(2025, 1, 1, 12, 0))
        #expect(receipt.doneDate == self.date(2025, 1, 1, 12, 1))
        #expect(receipt.stat == "DELIVRD")
        #expect(receipt.text == "hi  ")  // text is verbatim to the end
    }

    @Test func lineBreaksBetweenFields() throws {
        let receipt = try self.parse(
            "id:12345\r\nsub:001\r\ndlvrd:001\r\nsubmit date:2501011200\r\ndone date:2501011201\r\nstat:DELIVRD\r\nerr:000"
        )
        #expect(receipt.id == "12345")
        #expect(receipt.doneDate == self.date(2025, 1, 1, 12, 1))
        #expect(receipt.errorCode == 0)
    }

    @Test func textWithColonsAndKeyLikeWordsRunsToTheEnd() throws {
        let receipt = try self.parse(
            "id:42 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Meet at 10:30 stat:x id:9"
        )
        #expect(receipt.id == "42")
        #expect(receipt.stat == "DELIVRD")
        #expect(receipt.text == "Meet at 10:30 stat:x id:9")
        #expect(receipt.raw.additional.isEmpty)
    }

    @Test func uuidID() throws {
        let receipt = try self.parse("id:9e09ac86-bd74-5465-851d-1eb5a5fdbb9a sub:001 dlvrd:001 stat:DELIVRD err:000")
        #expect(receipt.id == "9e09ac86-bd74-5465-851d-1eb5a5fdbb9a")
    }

    @Test func hexAndUnderscoreIDs() throws {
        #expect(try self.parse("id:4F3A2B1C stat:DELIVRD").id == "4F3A2B1C")
        #expect(try self.parse("id:msg_0042_a stat:DELIVRD").id == "msg_0042_a")
        #expect(try self.parse("id:0x1f stat:DELIVRD").id == "0x1f")
    }

    @Test func errorCodesOfEveryWidthAndAlphanumeric() throws {
        #expect(try self.parse("id:1 stat:UNDELIV err:1").errorCode == 1)
        #expect(try self.parse("id:1 stat:UNDELIV err:34").errorCode == 34)
        #expect(try self.parse("id:1 stat:UNDELIV err:255").errorCode == 255)
        let alphanumeric = try self.parse("id:1 stat:UNDELIV err:X0A")
        #expect(alphanumeric.error == "X0A")
        #expect(alphanumeric.errorCode == nil)
    }

    @Test func nonStandardStatWordIsKeptVerbatim() throws {
        let receipt = try self.parse(
            "id:1 sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 stat:NOROUTE err:000"
        )
        #expect(receipt.stat == "NOROUTE")
        #expect(receipt.state == nil)
    }

    @Test func statWithSpacesSurvivesRaw() throws {
        // Some carriers write a phrase, e.g. "DELIVERED TO CARRIER" (Esendex's documentation).
        let receipt = try self.parse("id:1 stat:DELIVERED TO CARRIER err:003 text:x")
        #expect(receipt.stat == "DELIVERED TO CARRIER")
        #expect(receipt.state == nil)
        #expect(receipt.errorCode == 3)
    }

    @Test func longAndSMPP50StateNames() throws {
        #expect(try self.parse("id:1 stat:DELIVERED").state == .delivered)
        #expect(try self.parse("id:1 stat:UNDELIVERABLE").state == .undeliverable)
        #expect(try self.parse("id:1 stat:SCHEDLD").state == .scheduled)
        #expect(try self.parse("id:1 stat:SKIPPED").state == .skipped)
        #expect(try self.parse("id:1 stat:rejectd").state == .rejected)
    }

    @Test func providerReceiptWithoutText() throws {
        // SMPP.md §14: `id: sub: dlvrd: submit date: done date: stat: err:` with stat DELIVRD / EXPIRED / UNDELIV.
        let receipt = try self.parse(
            "id:2203456789 sub:001 dlvrd:000 submit date:2501011200 done date:2501021200 stat:EXPIRED err:000"
        )
        #expect(receipt.state == .expired)
        #expect(receipt.delivered == 0)
        #expect(receipt.text == nil)
    }

    @Test func providerHLRResultKeepsItsExtraFields() throws {
        // SMPP.md §14: an HLR lookup comes back as a receipt whose text carries
        // `imsi: msc: mcc: mnc: cn: net: rcn: rnet:` fields.
        let receipt = try self.parse(
            "id:2203456790 sub:001 dlvrd:001 submit date:2501011200 done date:2501011200 stat:DELIVRD err:000 "
                + "imsi:250011234567890 msc:79168900000 mcc:250 mnc:01 cn:Russia net:MTS rcn: rnet:"
        )
        #expect(receipt.state == .delivered)
        #expect(receipt.error == "000")
        #expect(receipt.errorCode == 0)
        let extra = receipt.raw.additional.map { "\($0.key)=\($0.value)" }
        #expect(
            extra == [
                "imsi=250011234567890", "msc=79168900000", "mcc=250", "mnc=01", "cn=Russia", "net=MTS", "rcn=", "rnet=",
            ]
        )
    }

    @Test func trailingNULTerminatorIsIgnored() throws {
        let receipt = try self.parse("id:1 stat:DELIVRD err:000\0")
        #expect(receipt.error == "000")
        var buffer = ByteBuffer(string: "id:1 stat:DELIVRD text:abc")
        buffer.writeInteger(UInt8(0))
        #expect(DeliveryReceipt(parsing: buffer)?.text == "abc")
    }

    @Test func emptyValuesBeforeTheNextKey() throws {
        let receipt = try self.parse("id:1 sub: dlvrd: submit date: done date: stat:DELIVRD err: text:")
        #expect(receipt.raw.sub == "")
        #expect(receipt.submitted == nil)
        #expect(receipt.raw.submitDate == "")
        #expect(receipt.submitDate == nil)
        #expect(receipt.error == "")
        #expect(receipt.text == "")
    }

    @Test func colonsInsideAValueAreKept() throws {
        let receipt = try self.parse("id:ab:cd stat:DELIVRD err:a:1")
        #expect(receipt.id == "ab:cd")
        #expect(receipt.error == "a:1")
    }

    @Test func invalidDatesStayRaw() throws {
        let receipt = try self.parse("id:1 submit date:2513011200 done date:25010112 stat:DELIVRD")
        #expect(receipt.raw.submitDate == "2513011200")
        #expect(receipt.submitDate == nil)
        #expect(receipt.raw.doneDate == "25010112")
        #expect(receipt.doneDate == nil)
    }

    @Test func underscoreDateKeysAndRepeatedKeys() throws {
        let receipt = try self.parse("id:1 submit_date:2501011200 donedate:2501011201 stat:DELIVRD stat:UNDELIV")
        #expect(receipt.submitDate == self.date(2025, 1, 1, 12, 0))
        #expect(receipt.doneDate == self.date(2025, 1, 1, 12, 1))
        #expect(receipt.stat == "DELIVRD")
        #expect(receipt.raw.additional == [DeliveryReceipt.AdditionalField(key: "stat", value: "UNDELIV")])
    }

    @Test func parsesFromAByteBuffer() throws {
        let buffer = ByteBuffer(string: "id:0000000001 sub:001 dlvrd:001 stat:DELIVRD err:000 text:Hello")
        let receipt = try #require(DeliveryReceipt(parsing: buffer))
        #expect(receipt == (try self.parse("id:0000000001 sub:001 dlvrd:001 stat:DELIVRD err:000 text:Hello")))
    }

    @Test(arguments: [
        "Hello, how are you?",
        "Call me at 10:30 tomorrow",
        "my id:5 stat:DELIVRD",  // keys, but not at the start
        "id:123 sub:001",  // no stat
        "stat:DELIVRD err:000",  // no id
        "Text: see you at 5",
        "id: stat:DELIVRD",  // empty id
        "",
        "   ",
        "STOP",
        "imsi:250011234567890",
    ])
    func nonReceiptTextIsRejected(text: String) {
        #expect(DeliveryReceipt(parsing: text) == nil)
    }
}
