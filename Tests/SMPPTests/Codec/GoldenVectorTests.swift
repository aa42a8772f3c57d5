import NIOCore
import SMPP
import Testing

@Suite struct GoldenVectorTests {
    @Test(arguments: goldenVectors)
    func encodesToTheSpecifiedOctets(_ vector: GoldenVector) throws {
        var buffer = ByteBuffer()
        let written = try buffer.writeSMPPFrame(vector.frame)
        #expect(hexString(buffer.bytes) == hexString(vector.bytes))
        #expect(written == vector.bytes.count)
    }

    @Test(arguments: goldenVectors)
    func decodesToTheValueWithNothingLeftOver(_ vector: GoldenVector) throws {
        var buffer = ByteBuffer(bytes: vector.bytes)
        let frame = try buffer.readSMPPFrame()
        #expect(frame == vector.frame)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: goldenVectors)
    func decodeThenEncodeIsByteExact(_ vector: GoldenVector) throws {
        var input = ByteBuffer(bytes: vector.bytes)
        let frame = try #require(try input.readSMPPFrame())
        var output = ByteBuffer()
        try output.writeSMPPFrame(frame)
        #expect(output.bytes == vector.bytes)
    }

    @Test func everyDefinedCommandHasAVector() {
        let covered = Set(goldenVectors.map(\.frame.commandID))
        let defined: [CommandID] = [
            .genericNack, .bindReceiver, .bindReceiverResp, .bindTransmitter, .bindTransmitterResp, .bindTransceiver,
            .bindTransceiverResp, .outbind, .unbind, .unbindResp, .submitSM, .submitSMResp, .submitMulti,
            .submitMultiResp, .deliverSM, .deliverSMResp, .dataSM, .dataSMResp, .querySM, .querySMResp, .cancelSM,
            .cancelSMResp, .replaceSM, .replaceSMResp, .enquireLink, .enquireLinkResp, .alertNotification,
        ]
        let missing = defined.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "no golden vector for \(missing)")
    }

    @Test func vendorTLVsKeepTheirOrderAndOctets() throws {
        let vector = try #require(goldenVectors.first { $0.name == "deliver_sm MO with vendor TLVs" })
        var buffer = ByteBuffer(bytes: vector.bytes)
        let frame = try #require(try buffer.readSMPPFrame())
        guard case .deliverSM(let message) = frame.pdu else {
            Issue.record("expected deliver_sm, got \(frame.pdu)")
            return
        }
        #expect(message.tlvs.map(\.tag.rawValue) == [0x2001, 0x2000])
        #expect(message.tlvs[TLVTag(0x2000)]?.stringValue == "0.0450")
        #expect(message.tlvs[TLVTag(0x2001)]?.integerValue == 0x21)
        #expect(TLVTag(0x2000).isVendorSpecific)
    }

    @Test func typedTLVAccessorsReadTheReceiptVector() throws {
        let vector = try #require(goldenVectors.first { $0.name == "deliver_sm receipt with TLVs" })
        var buffer = ByteBuffer(bytes: vector.bytes)
        guard case .deliverSM(let receipt) = try #require(try buffer.readSMPPFrame()).pdu else {
            Issue.record("expected deliver_sm")
            return
        }
        #expect(receipt.esmClass.isReceipt)
        #expect(receipt.tlvs.receiptedMessageID == "0000000001")
        #expect(receipt.tlvs.messageState == .delivered)
        #expect(receipt.tlvs.networkErrorCode == .gsm(0))
        #expect(String(buffer: receipt.shortMessage) == receiptText)
    }
}
