import NIOCore
import SMPP
import Testing

/// Malformed input never crashes or hangs: it yields an error value the session can answer.
@Suite struct MalformedInputTests {
    /// The vector's octets with `command_length` rewritten to the given total length.
    private func relength(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var bytes = Array(bytes)
        let length = UInt32(bytes.count)
        bytes[0] = UInt8(length >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
        return bytes
    }

    /// The length of a vector's mandatory part (everything before its TLVs).
    private func mandatoryLength(_ vector: GoldenVector) -> Int {
        let tlvLength: Int
        switch vector.frame.pdu {
        case .submitSM(let m), .deliverSM(let m): tlvLength = m.tlvs.encodedLength
        case .dataSM(let m): tlvLength = m.tlvs.encodedLength
        case .dataSMResp(let m), .submitSMResp(let m), .deliverSMResp(let m): tlvLength = m.tlvs.encodedLength
        case .bindTransmitterResp(let m), .bindReceiverResp(let m), .bindTransceiverResp(let m):
            tlvLength = m.tlvs.encodedLength
        case .alertNotification(let m): tlvLength = m.tlvs.encodedLength
        default: tlvLength = 0
        }
        return vector.bytes.count - tlvLength
    }

    /// TLV boundaries of a vector: the offsets at which a TLV starts or the PDU ends.
    private func tlvBoundaries(_ vector: GoldenVector) -> Set<Int> {
        var offset = self.mandatoryLength(vector)
        var boundaries: Set<Int> = [offset]
        while offset + 4 <= vector.bytes.count {
            let length = Int(vector.bytes[offset + 2]) << 8 | Int(vector.bytes[offset + 3])
            offset += 4 + length
            boundaries.insert(offset)
        }
        return boundaries
    }

    @Test(arguments: goldenVectors.filter { $0.bytes.count > 16 && !$0.frame.pdu.isUnknown })
    func everyTruncationOfTheBodyIsAnErrorOrDropsWholeTLVs(_ vector: GoldenVector) throws {
        let mandatory = self.mandatoryLength(vector)
        let boundaries = self.tlvBoundaries(vector)
        for cut in 16..<vector.bytes.count {
            var buffer = ByteBuffer(bytes: self.relength(vector.bytes[0..<cut]))
            do {
                let frame = try buffer.readSMPPFrame()
                // Only a cut between two TLVs leaves a valid PDU (with fewer TLVs) — or a response whose
                // body was cut entirely, which the decoder accepts as a body-less response.
                let isResponse = frame?.pdu.isResponse ?? false
                let acceptable = (cut >= mandatory && boundaries.contains(cut)) || (cut == 16 && isResponse)
                #expect(
                    frame != nil && acceptable,
                    "\(vector.name) cut at \(cut) decoded to \(String(describing: frame))"
                )
            } catch {
                #expect(!error.isFatal, "\(vector.name) cut at \(cut)")
                #expect(error.header?.sequenceNumber == vector.frame.sequenceNumber)
                #expect(error.commandStatus != .ok)
            }
            #expect(buffer.readableBytes == 0, "the PDU's octets are consumed either way")
        }
    }

    /// Every PDU that decodes encodes again, to the octets it was decoded from; the only exceptions
    /// are the lenient forms the decoder accepts and the encoder does not write (SMPP.md §1.2, §1.6):
    /// a response without its body, padding after a header-only PDU, and the empty body of a failed
    /// bind or submit_sm response. Those must still decode to the same value again.
    @Test(arguments: goldenVectors)
    func everyBitFlipDecodesToAValueThatEncodesToTheSameOctetsOrAnError(_ vector: GoldenVector) throws {
        var decoded = 0
        for index in vector.bytes.indices {
            for bit in 0..<8 {
                var bytes = vector.bytes
                bytes[index] ^= 1 << bit
                var buffer = ByteBuffer(bytes: bytes)
                let place = "\(vector.name) byte \(index) bit \(bit)"
                let frame: SMPPFrame
                do {
                    guard let value = try buffer.readSMPPFrame() else { continue }  // length now points further: waits
                    frame = value
                } catch {
                    if !error.isFatal { #expect(error.header != nil, "\(place)") }
                    continue
                }
                decoded += 1
                let received = Array(bytes.prefix(bytes.count - buffer.readableBytes))
                var again = ByteBuffer()
                do {
                    try again.writeSMPPFrame(frame)
                } catch {
                    Issue.record("\(place) decoded to \(frame) but does not encode: \(error)")
                    continue
                }
                guard again.bytes != received else { continue }
                let acceptedWithoutBody = received.count == 16 && frame.pdu.isResponse
                let writtenWithoutBody = again.readableBytes == 16
                #expect(
                    acceptedWithoutBody || writtenWithoutBody,
                    "\(place): \(hexString(received)) encodes as \(hexString(again.bytes))"
                )
                #expect(again.bytes[4..<16] == received[4..<16], "\(place): same header")
                #expect(try again.readSMPPFrame() == frame, "\(place)")
            }
        }
        // Bit flips in field values (not only in lengths and ids) decode: the loop checked something.
        #expect(decoded > 0)
    }

    @Test func randomStreamsNeverCrashOrStall() throws {
        var random = SeededRandom(seed: 0x5EED_0001)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<200, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Keep a plausible length field half of the time so bodies get exercised.
            if count >= 16 && Bool.random(using: &random) {
                bytes[0] = 0
                bytes[1] = 0
                bytes[2] = 0
                bytes[3] = UInt8.random(in: 16...UInt8(min(count, 255)), using: &random)
            }
            var buffer = ByteBuffer(bytes: bytes)
            var rounds = 0
            while rounds < 300 {
                rounds += 1
                let before = buffer.readerIndex
                do {
                    guard try buffer.readSMPPFrame(maximumLength: 1024) != nil else { break }
                } catch {
                    if error.isFatal { break }
                }
                #expect(buffer.readerIndex > before, "a decoded or malformed PDU is consumed")
            }
            #expect(rounds < 300)
        }
    }

    // MARK: Each precise error

    private func decodeError(_ bytes: [UInt8]) throws -> SMPPDecodingError {
        let declared = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        try #require(declared == bytes.count, "hand-written vector declares \(declared) octets but has \(bytes.count)")
        var buffer = ByteBuffer(bytes: bytes)
        return try #require(throws: SMPPDecodingError.self) { _ = try buffer.readSMPPFrame() }
    }

    @Test func cStringWithoutNULBeforeTheEnd() throws {
        // bind_transmitter whose password runs to the end of the PDU.
        let error = try self.decodeError(wire("00000018 00000002 00000000 00000001", .cString("abc"), .text("pass")))
        #expect(error.kind == .missingTerminator(.password))
        #expect(error.commandStatus == .invalidPassword)
    }

    @Test func fieldLongerThanItsMaximum() throws {
        // system_id of 16 characters: the maximum is 15 plus NUL.
        let error = try self.decodeError(
            wire("00000029 00000002 00000000 00000001", .cString("abcdefghijklmnop"), .cString("pw"), "00 34 00 00 00")
        )
        #expect(error.kind == .valueTooLong(.systemID, maximum: 16))
        #expect(error.commandStatus == .invalidSystemID)
        #expect(error.description.contains("system_id"))
    }

    @Test func overLongFieldsAreAcceptedWhenLenient() throws {
        let bytes = wire(
            "00000029 00000002 00000000 00000001",
            .cString("abcdefghijklmnop"),
            .cString("pw"),
            "00 34 00 00 00"
        )
        var buffer = ByteBuffer(bytes: bytes)
        let frame = try #require(try buffer.readSMPPFrame(strictFieldLengths: false))
        guard case .bindTransmitter(let bind) = frame.pdu else {
            Issue.record("expected bind_transmitter")
            return
        }
        #expect(bind.systemID == "abcdefghijklmnop")
    }

    @Test func aResponseMessageIDWithoutItsNULIsReadWhenLenient() throws {
        // submit_sm_resp whose message id runs to the end of the body.
        let bytes = wire("00000016 80000004 00000000 00000007", .text("4F2A9C"))
        var strict = ByteBuffer(bytes: bytes)
        let error = try #require(throws: SMPPDecodingError.self) { _ = try strict.readSMPPFrame() }
        #expect(error.kind == .missingTerminator(.messageID))
        var lenient = ByteBuffer(bytes: bytes)
        let frame = try #require(try lenient.readSMPPFrame(strictFieldLengths: false))
        #expect(frame.pdu == .submitSMResp(SubmitSMResponse(messageID: "4F2A9C")))
        #expect(lenient.readableBytes == 0)
    }

    @Test func sourceAddressTooLongAnswersInvalidSourceAddress() throws {
        let error = try self.decodeError(
            wire(
                "0000003B 00000004 00000000 00000001",
                "00",
                "01 01",
                .cString("1234567890123456789012"),
                "01 01",
                .cString("4478"),
                "00 00 00",
                "00 00",
                "00 00 00 00",
                "00"
            )
        )
        #expect(error.kind == .valueTooLong(.sourceAddress, maximum: 21))
        #expect(error.commandStatus == .invalidSourceAddress)
    }

    @Test func shortMessageLengthBeyondTheBody() throws {
        let error = try self.decodeError(
            wire(
                "0000002B 00000004 00000000 00000001",
                "00",
                "01 01",
                .cString("4477"),
                "01 01",
                .cString("4478"),
                "00 00 00",
                "00 00",
                "00 00 00 00",
                "FF",
                .text("Hi")
            )
        )
        #expect(error.kind == .shortMessageBeyondBody(smLength: 255, remaining: 2))
        #expect(error.commandStatus == .invalidMessageLength)
    }

    @Test func tlvLengthBeyondTheBody() throws {
        let error = try self.decodeError(
            wire("0000001C 80000004 00000000 00000001", .cString("42"), "001D 0010", .text("short"))
        )
        #expect(error.kind == .tlvLengthBeyondBody(.additionalStatusInfoText, length: 16, remaining: 5))
        #expect(error.commandStatus == .invalidParameterLength)
    }

    @Test func strayOctetsAfterTheLastTLV() throws {
        let error = try self.decodeError(wire("00000016 80000004 00000000 00000001", .cString("42"), "04 27 00"))
        #expect(error.kind == .truncatedTLVHeader(remaining: 3))
        #expect(error.commandStatus == .invalidOptionalParameterStream)
    }

    /// A deliver_sm with `padding` appended inside its `command_length`.
    private func paddedDeliverSM(_ padding: [UInt8], tlvs: TLVs = TLVs()) throws -> [UInt8] {
        let message = DeliverSM(
            source: Address(ton: .international, npi: .isdn, "447700900123"),
            destination: Address("7726"),
            shortMessage: ByteBuffer(string: "Hi"),
            tlvs: tlvs
        )
        var buffer = ByteBuffer()
        try buffer.writeSMPPFrame(SMPPFrame(.deliverSM(message), sequenceNumber: 9))
        return self.relength(Array(buffer.readableBytesView) + padding)
    }

    @Test(arguments: [[UInt8](repeating: 0, count: 1), [0, 0], [0, 0, 0]])
    func zeroPaddingShorterThanATLVHeaderIsIgnoredWhenLenient(_ padding: [UInt8]) throws {
        for tlvs in [TLVs(), TLVs([TLV(tag: .userMessageReference, value: ByteBuffer(bytes: [0, 7]))])] {
            let bytes = try self.paddedDeliverSM(padding, tlvs: tlvs)
            var lenient = ByteBuffer(bytes: bytes)
            let frame = try #require(try lenient.readSMPPFrame(strictFieldLengths: false))
            guard case .deliverSM(let message) = frame.pdu else {
                Issue.record("expected deliver_sm, got \(frame.pdu)")
                return
            }
            #expect(String(buffer: message.shortMessage) == "Hi")
            #expect(message.tlvs == tlvs, "the padding is no TLV")
            #expect(lenient.readableBytes == 0)
            // The strict decoder (the simulator's) still refuses it.
            let error = try self.decodeError(bytes)
            #expect(error.kind == .truncatedTLVHeader(remaining: padding.count))
            #expect(error.commandStatus == .invalidOptionalParameterStream)
        }
    }

    @Test func aNonZeroTailShorterThanATLVHeaderIsRefusedEvenWhenLenient() throws {
        // The first octets of a TLV header cut short, not padding.
        var lenient = ByteBuffer(bytes: try self.paddedDeliverSM([0x04, 0x24]))
        let error = try #require(throws: SMPPDecodingError.self) { _ = try lenient.readSMPPFrame(strictFieldLengths: false) }
        #expect(error.kind == .truncatedTLVHeader(remaining: 2))
        #expect(error.commandStatus == .invalidOptionalParameterStream)
        #expect(lenient.readableBytes == 0)
    }

    @Test func fourOrMoreZeroOctetsReadAsTLVsOfTheReservedTagZero() throws {
        // Four zeros are a well-formed TLV header (tag 0x0000, reserved; no value), kept like any
        // unknown tag by either decoder; a shorter zero tail after them is padding when lenient.
        let empty = TLV(tag: TLVTag(rawValue: 0), value: ByteBuffer())
        for (padding, tlvs) in [(4, TLVs([empty])), (6, TLVs([empty])), (8, TLVs([empty, empty]))] {
            let bytes = try self.paddedDeliverSM([UInt8](repeating: 0, count: padding))
            var lenient = ByteBuffer(bytes: bytes)
            let frame = try #require(try lenient.readSMPPFrame(strictFieldLengths: false))
            guard case .deliverSM(let message) = frame.pdu else {
                Issue.record("expected deliver_sm, got \(frame.pdu)")
                return
            }
            #expect(message.tlvs == tlvs, "\(padding) zeros")
            var strict = ByteBuffer(bytes: bytes)
            if padding % 4 == 0 {
                #expect(try strict.readSMPPFrame() == frame, "\(padding) zeros")
            } else {
                #expect(throws: SMPPDecodingError.self, "\(padding) zeros") { _ = try strict.readSMPPFrame() }
            }
        }
    }

    @Test func standardTLVWithTheWrongLength() throws {
        // message_state must be one octet.
        let error = try self.decodeError(wire("00000019 80000004 00000000 00000001", .cString("42"), "0427 0002 0002"))
        #expect(error.kind == .invalidTLVLength(.messageState, length: 2))
        #expect(error.commandStatus == .invalidParameterLength)
    }

    @Test func timeFieldOfTheWrongLength() throws {
        let error = try self.decodeError(
            wire(
                "00000033 00000004 00000000 00000001",
                "00",
                "01 01",
                .cString("4477"),
                "01 01",
                .cString("4478"),
                "00 00 00",
                .cString("2501011200"),
                "00",
                "00 00 00 00",
                "00"
            )
        )
        #expect(error.kind == .invalidTimeLength(.scheduleDeliveryTime, length: 10))
        #expect(error.commandStatus == .invalidScheduleDeliveryTime)
    }

    @Test func invalidDestinationFlag() throws {
        let error = try self.decodeError(
            wire("0000001C 00000021 00000000 00000001", "00", "00 00", .cString("x"), "01", "07", "00 00 00 00 00")
        )
        #expect(error.kind == .invalidDestinationFlag(7))
        #expect(error.commandStatus == .invalidDestinationFlag)
    }

    @Test func mandatoryFieldsRunningPastTheBody() throws {
        // query_sm_resp that stops after its message_id.
        let error = try self.decodeError(wire("00000013 80000003 00000000 00000001", .cString("42")))
        #expect(error.kind == .truncated(.finalDate))
        #expect(error.commandStatus == .invalidCommandLength)
    }
}

extension PDU {
    var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }
}
