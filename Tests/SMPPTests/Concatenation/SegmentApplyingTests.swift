import NIOCore
import SMPP
import Testing

@Suite struct SegmentApplyingTests {
    typealias Support = TextTestSupport

    static let template = SubmitSM(
        serviceType: "CMT",
        source: Address(ton: .alphanumeric, npi: .unknown, "Shop"),
        destination: Address(ton: .international, npi: .isdn, "79001234567"),
        esmClass: .storeAndForwardMode,
        protocolID: 0,
        priorityFlag: 1,
        validityPeriod: "000001000000000R",
        registeredDelivery: RegisteredDelivery(rawValue: 0x01),
        dataCoding: .latin1,
        shortMessage: ByteBuffer(bytes: [0xEE]),
        tlvs: [
            TLV(tag: .userMessageReference, uint16: 77),
            TLV(tag: .sarMsgRefNum, uint16: 1),
            TLV(tag: .messagePayload, bytes: [1, 2, 3]),
        ]
    )

    @Test func udhSegmentBuildsNewPDU() throws {
        let segmenter = try MessageSegmenter()
        let segments = try segmenter.segments(for: String(repeating: "ж", count: 100), encoding: .ucs2, reference: 0x2A)
        let pdus = segments.map(Self.template.applying)
        #expect(pdus.count == 2)
        for (index, pdu) in pdus.enumerated() {
            #expect(pdu.esmClass.rawValue == 0x43)
            #expect(pdu.dataCoding == .ucs2)
            #expect(pdu.shortMessage == segments[index].userData)
            #expect(pdu.tlvs.elements == [TLV(tag: .userMessageReference, uint16: 77)])
            #expect(pdu.concatenation == ConcatenationInfo(reference: 0x2A, total: 2, sequence: UInt8(index + 1)))
            // Every other field comes from the template.
            #expect(pdu.serviceType == "CMT")
            #expect(pdu.source == Self.template.source)
            #expect(pdu.destination == Self.template.destination)
            #expect(pdu.priorityFlag == 1)
            #expect(pdu.validityPeriod == "000001000000000R")
            #expect(pdu.registeredDelivery.rawValue == 0x01)
        }
    }

    @Test func singleSegmentClearsUDHI() throws {
        var template = Self.template
        template.esmClass = ESMClass(rawValue: 0x43)
        let segment = try MessageSegmenter().segments(for: "Hi", encoding: .gsm7, reference: 1)[0]
        let pdu = template.applying(segment)
        #expect(pdu.esmClass.rawValue == 0x03)
        #expect(pdu.dataCoding == .smscDefault)
        #expect(Support.hex(pdu.shortMessage) == "4869")
        #expect(pdu.concatenation == nil)
    }

    @Test func sarSegmentGetsSequencedTLVs() throws {
        let segmenter = try MessageSegmenter(configuration: .init(method: .sar))
        let segments = try segmenter.segments(
            for: String(repeating: "s", count: 400),
            encoding: .gsm7,
            reference: 0x0102
        )
        let pdus = segments.map(Self.template.applying)
        #expect(pdus.count == 3)
        for (index, pdu) in pdus.enumerated() {
            #expect(!pdu.esmClass.hasUDHI)
            #expect(pdu.tlvs.sarMessageReference == 0x0102)
            #expect(pdu.tlvs.sarTotalSegments == 3)
            #expect(pdu.tlvs.sarSegmentSequence == UInt8(index + 1))
            #expect(pdu.tlvs.messagePayload == nil)
            #expect(pdu.tlvs.userMessageReference == 77)
            #expect(pdu.tlvs.count == 4)
            #expect(pdu.concatenation == ConcatenationInfo(reference: 0x0102, total: 3, sequence: UInt8(index + 1)))
        }
        #expect(pdus.map(\.shortMessage.readableBytes) == [153, 153, 94])
    }

    @Test func payloadSegmentEmptiesShortMessage() throws {
        let segmenter = try MessageSegmenter(configuration: .init(method: .payload))
        let segment = try segmenter.segments(for: String(repeating: "p", count: 300), encoding: .gsm7, reference: 1)[0]
        let pdu = Self.template.applying(segment)
        #expect(pdu.shortMessage.readableBytes == 0)
        #expect(pdu.tlvs.messagePayload?.readableBytes == 300)
        #expect(pdu.userData.readableBytes == 300)
        #expect(pdu.tlvs.sarMessageReference == nil)
        #expect(pdu.tlvs.elements.map(\.tag) == [.userMessageReference, .messagePayload])
    }

    @Test func dataSMCarriesUserDataInPayload() throws {
        let template = DataSM(source: Address("1"), destination: Address("2"), dataCoding: .ucs2)
        let segments = try MessageSegmenter().segments(
            for: String(repeating: "x", count: 200),
            encoding: .gsm7,
            reference: 3
        )
        let pdus = segments.map(template.applying)
        #expect(pdus.count == 2)
        #expect(pdus.allSatisfy { $0.esmClass.hasUDHI && $0.dataCoding == .smscDefault })
        #expect(pdus.map(\.concatenation?.sequence) == [1, 2])
        #expect(pdus[0].userData == segments[0].userData)
    }
}
