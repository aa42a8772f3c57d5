import NIOCore
import SMPP
import Testing

/// The encoder refuses values that do not fit the specification, and writes nothing for them.
@Suite struct EncodingErrorTests {
    private func encodeError(_ pdu: PDU) throws -> SMPPEncodingError {
        var buffer = ByteBuffer(bytes: [0xAA])
        let error = try #require(throws: SMPPEncodingError.self) {
            try buffer.writeSMPPFrame(SMPPFrame(pdu, sequenceNumber: 1))
        }
        #expect(buffer.bytes == [0xAA], "nothing written")
        #expect(error.commandID == pdu.commandID)
        return error
    }

    private let number = Address(ton: .international, npi: .isdn, "447700900001")

    @Test func cStringAboveItsMaximum() throws {
        let error = try self.encodeError(.bindTransceiver(Bind(systemID: "sixteen-chars-xx", password: "pw")))
        #expect(error.kind == .valueTooLong(.systemID, length: 16, maximum: 16))
        let password = try self.encodeError(.bindTransceiver(Bind(systemID: "id", password: "ninechars")))
        #expect(password.kind == .valueTooLong(.password, length: 9, maximum: 9))
    }

    @Test func multiOctetCharactersCountAsOctets() throws {
        // 11 characters but 22 UTF-8 octets: above the 20-octet address maximum.
        let source = Address(ton: .alphanumeric, npi: .unknown, "ÅÅÅÅÅÅÅÅÅÅÅ")
        let error = try self.encodeError(.submitSM(SubmitSM(source: source, destination: self.number)))
        #expect(error.kind == .valueTooLong(.sourceAddress, length: 22, maximum: 21))
    }

    @Test func embeddedNUL() throws {
        let error = try self.encodeError(.querySM(QuerySM(messageID: "ab\0cd", source: self.number)))
        #expect(error.kind == .containsNUL(.messageID))
    }

    @Test func shortMessageAbove254Octets() throws {
        let text = ByteBuffer(repeating: 0x41, count: 255)
        let error = try self.encodeError(
            .submitSM(SubmitSM(source: self.number, destination: self.number, shortMessage: text))
        )
        #expect(error.kind == .shortMessageTooLong(length: 255))
    }

    @Test func timeOfTheWrongLength() throws {
        let error = try self.encodeError(
            .submitSM(SubmitSM(source: self.number, destination: self.number, validityPeriod: "2501011200"))
        )
        #expect(error.kind == .invalidTimeLength(.validityPeriod, length: 10))
    }

    @Test func tooManyDestinations() throws {
        let destinations = Array(repeating: SubmitMulti.Destination.address(self.number), count: 255)
        let error = try self.encodeError(.submitMulti(SubmitMulti(source: self.number, destinations: destinations)))
        #expect(error.kind == .tooManyEntries(.numberOfDestinations, count: 255))
    }

    @Test func tlvValueAbove65535Octets() throws {
        let payload = TLV(tag: .messagePayload, value: ByteBuffer(repeating: 0, count: 65_536))
        let error = try self.encodeError(
            .dataSM(DataSM(source: self.number, destination: self.number, tlvs: [payload]))
        )
        #expect(error.kind == .tlvTooLong(.messagePayload, length: 65_536))
    }

    @Test func largestPayloadFitsTheDefaultMaximum() throws {
        let payload = TLV(tag: .messagePayload, value: ByteBuffer(repeating: 0x41, count: 65_535))
        let frame = SMPPFrame(
            .dataSM(DataSM(source: self.number, destination: self.number, tlvs: [payload])),
            sequenceNumber: 1
        )
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(frame)
        #expect(buffer.readableBytes <= SMPPFrame.defaultMaximumLength)
        #expect(try buffer.readSMPPFrame() == frame)
    }
}
