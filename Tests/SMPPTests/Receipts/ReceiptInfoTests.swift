import NIOCore
import SMPP
import Testing

@Suite struct ReceiptInfoTests {
    /// The submit_sm of SMPP.md §12.3: from alphanumeric "Test" to 79001234567.
    private let submission = SubmitSM(
        source: Address(ton: .alphanumeric, npi: .unknown, "Test"),
        destination: Address(ton: .international, npi: .isdn, "79001234567"),
        registeredDelivery: .receipt,
        shortMessage: ByteBuffer(string: "Hello")
    )

    private let handset = Address(ton: .international, npi: .isdn, "79001234567")
    private let esme = Address(ton: .alphanumeric, npi: .unknown, "Test")

    private static let section8Text =
        "id:0000000001 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello"

    private func deliverSM(
        esmClass: ESMClass = .deliveryReceipt,
        text: String,
        tlvs: TLVs = [],
        dataCoding: DataCoding = .smscDefault
    ) -> DeliverSM {
        DeliverSM(
            source: self.handset,
            destination: self.esme,
            esmClass: esmClass,
            dataCoding: dataCoding,
            shortMessage: ByteBuffer(string: text),
            tlvs: tlvs
        )
    }

    // MARK: Building (SMSC simulator side)

    @Test func builderReproducesTheSpecificationBytes() throws {
        let receipt = DeliveryReceipt(
            id: "0000000001",
            submitDate: CivilDateTime(year: 2025, month: 1, day: 1, hour: 12, minute: 0),
            doneDate: CivilDateTime(year: 2025, month: 1, day: 1, hour: 12, minute: 1),
            state: .delivered,
            text: "Hello"
        )
        let deliver = DeliverSM.receipt(receipt, for: self.submission, networkErrorCode: .gsm(0))
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(SMPPFrame(.deliverSM(deliver), sequenceNumber: 7))
        let expected =
            "000000B6 00000005 00000000 00000007"
            + "00 0101 3739303031323334353637 00 0500 54657374 00"
            + "040000 0000 00000000"
            + "6B" + hex(Array(Self.section8Text.utf8))
            + "001E000B 3030303030303030303100"
            + "04270001 02"
            + "04230003 030000"
        #expect(hex(Array(buffer.readableBytesView)) == expected.filter { $0 != " " })
        #expect(Self.section8Text.utf8.count == 0x6B)

        // And the ESME side reads it back.
        let frame = try #require(try buffer.readSMPPFrame())
        guard case .deliverSM(let decoded) = frame.pdu else {
            Issue.record("decoded \(frame.pdu)")
            return
        }
        #expect(decoded == deliver)
        let info = try #require(decoded.deliveryReceipt)
        #expect(info.messageID == "0000000001")
        #expect(info.messageIDOrigin == .tlv)
        #expect(info.state == .delivered)
        #expect(info.stateOrigin == .tlv)
        #expect(info.networkErrorCode == .gsm(0))
        #expect(info.errorCode == 0)
        #expect(info.doneDate == CivilDateTime(year: 2025, month: 1, day: 1, hour: 12, minute: 1))
        #expect(info.text?.text == "Hello")
        #expect(!info.isIntermediate)
    }

    @Test func builderReversesTheSubmissionsAddresses() {
        let receipt = DeliveryReceipt(id: "1", submitDate: nil, doneDate: nil, state: .delivered)
        let deliver = DeliverSM.receipt(receipt, for: self.submission)
        #expect(deliver.source == self.submission.destination)
        #expect(deliver.destination == self.submission.source)
        #expect(deliver.esmClass == .deliveryReceipt)
        #expect(deliver.registeredDelivery == .none)
        #expect(deliver.tlvs.receiptedMessageID == "1")
        #expect(deliver.tlvs.messageState == .delivered)
        #expect(deliver.tlvs.networkErrorCode == nil)
    }

    @Test func builderOptions() throws {
        var receipt = DeliveryReceipt(id: "1", submitDate: nil, doneDate: nil, state: .enroute)
        let intermediate = DeliverSM.receipt(receipt, for: self.submission, intermediate: true)
        #expect(intermediate.esmClass == .intermediateNotification)
        #expect(try #require(intermediate.deliveryReceipt).isIntermediate)

        let legacy = DeliverSM.receipt(receipt, for: self.submission, includeTLVs: false)
        #expect(legacy.tlvs.isEmpty)
        #expect(try #require(legacy.deliveryReceipt).messageIDOrigin == .text)

        // Simulating an SMSC whose TLV id and state disagree with its text.
        let quirky = DeliverSM.receipt(
            receipt,
            for: self.submission,
            receiptedMessageID: "01",
            messageState: .undeliverable
        )
        #expect(quirky.tlvs.receiptedMessageID == "01")
        #expect(quirky.tlvs.messageState == .undeliverable)

        // A non-standard stat word has no message_state TLV.
        receipt.raw.stat = "NOROUTE"
        #expect(DeliverSM.receipt(receipt, for: self.submission).tlvs.messageState == nil)
    }

    @Test func builderMovesLongTextToMessagePayload() throws {
        var receipt = DeliveryReceipt(
            id: String(repeating: "9", count: 64),
            submitDate: nil,
            doneDate: nil,
            state: .delivered
        )
        receipt.raw.text = String(repeating: "x", count: 300)
        let deliver = DeliverSM.receipt(receipt, for: self.submission, formatting: .init(maximumTextLength: nil))
        #expect(deliver.shortMessage.readableBytes == 0)
        #expect(deliver.tlvs.messagePayload?.readableBytes ?? 0 > 254)
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(SMPPFrame(.deliverSM(deliver), sequenceNumber: 1))
        #expect(try #require(deliver.deliveryReceipt).text?.text?.utf8.count == 300)
    }

    @Test func builderAppendsVendorTLVsAndTheyRoundTrip() throws {
        // SMPP.md §14: cost (0x2000, C-string) and flags (0x2001, two octets), kept as raw octets.
        let receipt = DeliveryReceipt(id: "1", submitDate: nil, doneDate: nil, state: .delivered)
        let vendor: TLVs = [TLV(tag: TLVTag(0x2000), cString: "0.0450"), TLV(tag: TLVTag(0x2001), uint16: 0x0021)]
        let deliver = DeliverSM.receipt(
            receipt,
            for: self.submission,
            networkErrorCode: .gsm(0),
            additionalTLVs: vendor
        )
        #expect(deliver.tlvs.map(\.tag.rawValue) == [0x001E, 0x0427, 0x0423, 0x2000, 0x2001])

        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(SMPPFrame(.deliverSM(deliver), sequenceNumber: 3))
        let frame = try #require(try buffer.readSMPPFrame())
        guard case .deliverSM(let decoded) = frame.pdu else {
            Issue.record("decoded \(frame.pdu)")
            return
        }
        let info = try #require(decoded.deliveryReceipt)
        #expect(info.vendorTLVs == vendor)
        #expect(decoded.tlvs[TLVTag(0x2000)]?.stringValue == "0.0450")
        #expect(decoded.tlvs.count == 5)  // the PDU keeps every TLV
    }

    // MARK: Reading (ESME side)

    @Test func tlvStateWinsOverTextStat() throws {
        var tlvs = TLVs()
        tlvs.receiptedMessageID = "0000000001"
        tlvs.messageState = .undeliverable
        let info = try #require(self.deliverSM(text: Self.section8Text, tlvs: tlvs).deliveryReceipt)
        #expect(info.state == .undeliverable)
        #expect(info.stateOrigin == .tlv)
        #expect(info.stat == "UNDELIV")
        #expect(info.text?.state == .delivered)  // the text is kept as sent
    }

    @Test func tlvIDWinsOverTextID() throws {
        var tlvs = TLVs()
        tlvs.receiptedMessageID = "1234567890"  // decimal
        let info = try #require(
            self.deliverSM(text: "id:499602D2 sub:001 dlvrd:001 stat:DELIVRD err:000", tlvs: tlvs).deliveryReceipt
        )
        #expect(info.messageID == "1234567890")
        #expect(info.messageIDOrigin == .tlv)
        #expect(info.text?.id == "499602D2")
        #expect(info.state == .delivered)
        #expect(info.stateOrigin == .text)
    }

    @Test func networkErrorCodeWinsOverErr() throws {
        var tlvs = TLVs()
        tlvs.networkErrorCode = NetworkErrorCode(networkType: NetworkErrorCode.gsm, errorCode: 27)
        let info = try #require(self.deliverSM(text: "id:1 stat:UNDELIV err:001", tlvs: tlvs).deliveryReceipt)
        #expect(info.errorCode == 27)
        #expect(info.text?.errorCode == 1)
        let textOnly = try #require(self.deliverSM(text: "id:1 stat:UNDELIV err:001").deliveryReceipt)
        #expect(textOnly.errorCode == 1)
        #expect(textOnly.networkErrorCode == nil)
    }

    @Test func textOnlyReceipt() throws {
        let info = try #require(self.deliverSM(text: Self.section8Text).deliveryReceipt)
        #expect(info.messageID == "0000000001")
        #expect(info.messageIDOrigin == .text)
        #expect(info.state == .delivered)
        #expect(info.stateOrigin == .text)
        #expect(info.submitted == 1)
        #expect(info.delivered == 1)
        #expect(info.submitDate == CivilDateTime(year: 2025, month: 1, day: 1, hour: 12))
    }

    @Test func nonStandardStatWithoutTLV() throws {
        let info = try #require(self.deliverSM(text: "id:77 sub:001 dlvrd:000 stat:NOROUTE err:000").deliveryReceipt)
        #expect(info.state == nil)
        #expect(info.stat == "NOROUTE")
    }

    @Test func receiptInMessagePayload() throws {
        var tlvs = TLVs()
        tlvs.messagePayload = ByteBuffer(string: Self.section8Text)
        let deliver = self.deliverSM(text: "", tlvs: tlvs)
        let info = try #require(deliver.deliveryReceipt)
        #expect(info.messageID == "0000000001")
        #expect(info.messageIDOrigin == .text)
        #expect(info.text?.text == "Hello")
    }

    @Test func mobileOriginatedTextIsNotAReceipt() {
        let mo = self.deliverSM(esmClass: .defaultMode, text: "Hello, see you at 10:30")
        #expect(!mo.isDeliveryReceipt)
        #expect(mo.deliveryReceipt == nil)
        // Even text shaped like a receipt, without the esm_class bits or the receipt TLVs.
        let lookalike = self.deliverSM(esmClass: .defaultMode, text: Self.section8Text)
        #expect(!lookalike.isDeliveryReceipt)
        #expect(lookalike.deliveryReceipt == nil)
        // Only one of the two fallback TLVs is not enough.
        var tlvs = TLVs()
        tlvs.receiptedMessageID = "1"
        #expect(self.deliverSM(esmClass: .defaultMode, text: "hi", tlvs: tlvs).deliveryReceipt == nil)
        // Other message types (SME acknowledgements) are not receipts.
        #expect(self.deliverSM(esmClass: .deliveryAcknowledgement, text: Self.section8Text).deliveryReceipt == nil)
    }

    @Test func fallbackDetectionByTLVsWhenEsmClassIsZero() throws {
        var tlvs = TLVs()
        tlvs.receiptedMessageID = "ABC"
        tlvs.messageState = .expired
        let deliver = self.deliverSM(esmClass: .defaultMode, text: "", tlvs: tlvs)
        #expect(deliver.isDeliveryReceipt)
        let info = try #require(deliver.deliveryReceipt)
        #expect(info.messageID == "ABC")
        #expect(info.state == .expired)
        #expect(info.text == nil)
    }

    @Test func flaggedReceiptWithoutIDIsRecognisedButUnreadable() {
        let deliver = self.deliverSM(text: "garbage from a broken SMSC")
        #expect(deliver.isDeliveryReceipt)
        #expect(deliver.deliveryReceipt == nil)
        #expect(self.deliverSM(text: "id:1 sub:001").deliveryReceipt == nil)  // no state anywhere
    }

    @Test func emptyReceiptedMessageIDFallsBackToTheText() throws {
        var tlvs = TLVs()
        tlvs.receiptedMessageID = ""
        let info = try #require(self.deliverSM(text: "id:55 stat:DELIVRD", tlvs: tlvs).deliveryReceipt)
        #expect(info.messageID == "55")
        #expect(info.messageIDOrigin == .text)
    }

    @Test func receiptWithUDHIAndOtherEsmBits() throws {
        var data = ByteBuffer(bytes: [0x05, 0x00, 0x03, 0x2A, 0x01, 0x01])
        data.writeString("id:9 stat:DELIVRD")
        let deliver = DeliverSM(
            source: self.handset,
            destination: self.esme,
            esmClass: ESMClass.deliveryReceipt.union(.udhi),
            shortMessage: data
        )
        let info = try #require(deliver.deliveryReceipt)
        #expect(info.messageID == "9")
    }

    @Test func intermediateNotification() throws {
        let deliver = self.deliverSM(
            esmClass: .intermediateNotification,
            text: "id:9 sub:001 dlvrd:000 stat:ENROUTE err:000"
        )
        let info = try #require(deliver.deliveryReceipt)
        #expect(info.isIntermediate)
        #expect(info.state == .enroute)
        #expect(info.state?.isFinal == false)
    }

    @Test func ucs2ReceiptText() throws {
        var data = ByteBuffer()
        for unit in "id:12 stat:DELIVRD text:Привет".utf16 { data.writeInteger(unit) }
        let deliver = DeliverSM(
            source: self.handset,
            destination: self.esme,
            esmClass: .deliveryReceipt,
            dataCoding: .ucs2,
            shortMessage: data
        )
        let info = try #require(deliver.deliveryReceipt)
        #expect(info.messageID == "12")
        #expect(info.text?.text == "Привет")
    }

    // MARK: data_sm

    @Test func dataSMReceiptRoundTrip() throws {
        let receipt = DeliveryReceipt(
            id: "7f3c",
            submitDate: CivilDateTime(year: 2025, month: 3, day: 1, hour: 8, minute: 0, second: 5),
            doneDate: CivilDateTime(year: 2025, month: 3, day: 1, hour: 8, minute: 0, second: 9),
            state: .delivered
        )
        let data = DataSM.receipt(
            receipt,
            from: self.handset,
            to: self.esme,
            networkErrorCode: .gsm(0),
            formatting: .init(dateLength: .twelveDigits)
        )
        #expect(data.esmClass == .deliveryReceipt)
        #expect(data.isDeliveryReceipt)
        #expect(data.tlvs.map(\.tag) == [.receiptedMessageID, .messageState, .networkErrorCode, .messagePayload])

        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(SMPPFrame(.dataSM(data), sequenceNumber: 11))
        let frame = try #require(try buffer.readSMPPFrame())
        guard case .dataSM(let decoded) = frame.pdu else {
            Issue.record("decoded \(frame.pdu)")
            return
        }
        let info = try #require(decoded.deliveryReceipt)
        #expect(info.messageID == "7f3c")
        #expect(info.state == .delivered)
        #expect(info.doneDate == CivilDateTime(year: 2025, month: 3, day: 1, hour: 8, minute: 0, second: 9))
    }

    @Test func dataSMWithoutReceiptIsNotOne() {
        var tlvs = TLVs()
        tlvs.messagePayload = ByteBuffer(string: "id:1 stat:DELIVRD")
        let data = DataSM(source: self.handset, destination: self.esme, tlvs: tlvs)
        #expect(data.deliveryReceipt == nil)
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789ABCDEF")
    var out = ""
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return out
}
