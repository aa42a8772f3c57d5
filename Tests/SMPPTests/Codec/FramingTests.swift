import NIOCore
import NIOEmbedded
import NIOTestUtils
import SMPP
import Testing

@Suite struct FramingTests {
    /// All vectors back to back, as one stream.
    private var stream: [UInt8] { goldenVectors.flatMap(\.bytes) }

    @Test func readReturnsNilAndLeavesTheReaderIndexWhileBytesAreMissing() throws {
        for vector in goldenVectors {
            for cut in 0..<vector.bytes.count {
                var buffer = ByteBuffer(bytes: vector.bytes[0..<cut])
                let before = buffer.readerIndex
                #expect(try buffer.readSMPPFrame() == nil, "\(vector.name) cut at \(cut)")
                #expect(buffer.readerIndex == before)
            }
        }
    }

    @Test func decoderHandlesEverySplitPointOfAStream() throws {
        let stream = self.stream
        let expected = goldenVectors.map { SMPPFrameDecoder.Output.frame($0.frame) }
        for split in 0...stream.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
            try channel.writeInbound(ByteBuffer(bytes: stream[0..<split]))
            try channel.writeInbound(ByteBuffer(bytes: stream[split...]))
            var decoded: [SMPPFrameDecoder.Output] = []
            while let output = try channel.readInbound(as: SMPPFrameDecoder.Output.self) { decoded.append(output) }
            #expect(decoded == expected, "split at \(split)")
            #expect(try channel.finish().isClean)
        }
    }

    @Test func decoderPassesNIOsVerifier() throws {
        let pairs = goldenVectors.map { vector in
            (ByteBuffer(bytes: vector.bytes), [SMPPFrameDecoder.Output.frame(vector.frame)])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { SMPPFrameDecoder() }
    }

    @Test func decoderFedOneOctetAtATime() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
        for byte in self.stream { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        var count = 0
        while let output = try channel.readInbound(as: SMPPFrameDecoder.Output.self) {
            #expect(output == .frame(goldenVectors[count].frame))
            count += 1
        }
        #expect(count == goldenVectors.count)
    }

    @Test func encoderWritesFrames() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMPPFrameEncoder()))
        for vector in goldenVectors {
            try channel.writeOutbound(vector.frame)
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(written.bytes == vector.bytes, "\(vector.name)")
        }
    }

    @Test func encoderFailsTheWriteForAValueThatDoesNotFit() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMPPFrameEncoder()))
        let tooLong = SMPPFrame(
            .bindTransmitter(Bind(systemID: "a-system-id-too-long", password: "pw")),
            sequenceNumber: 1
        )
        #expect(throws: SMPPEncodingError.self) { try channel.writeOutbound(tooLong) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test func malformedBodyIsPassedOnAndTheStreamContinues() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
        // submit_sm whose sm_length (0x10) runs past the body, followed by an enquire_link.
        let bad = wire(
            "0000002B 00000004 00000000 00000005",
            "00",
            "01 01",
            .cString("4477"),
            "01 01",
            .cString("4478"),
            "00 00 00",
            "00 00",
            "00 00 00 00",
            "10",
            .text("Hi")
        )
        #expect(bad.count == 0x2B)
        try channel.writeInbound(ByteBuffer(bytes: bad + goldenVectors[0].bytes))
        let first = try #require(try channel.readInbound(as: SMPPFrameDecoder.Output.self))
        guard case .malformed(let error) = first else {
            Issue.record("expected a malformed PDU, got \(first)")
            return
        }
        #expect(error.kind == .shortMessageBeyondBody(smLength: 16, remaining: 2))
        #expect(error.commandStatus == .invalidMessageLength)
        #expect(error.header?.sequenceNumber == 5)
        #expect(error.header?.commandID == .submitSM)
        #expect(!error.isFatal)
        #expect(try channel.readInbound(as: SMPPFrameDecoder.Output.self) == .frame(goldenVectors[0].frame))
    }

    @Test func commandLengthBelowTheHeaderIsFatal() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder()))
        let error = try #require(throws: SMPPDecodingError.self) {
            try channel.writeInbound(ByteBuffer(bytes: wire("0000000C 00000015 00000000")))
        }
        #expect(error.isFatal)
        #expect(error.kind == .commandLengthTooShort(12))
        #expect(error.commandStatus == .invalidCommandLength)
        #expect(error.header == nil)
    }

    @Test func commandLengthAboveTheMaximumIsFatalAndKeepsTheSequenceNumber() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMPPFrameDecoder(maximumLength: 4096)))
        let error = try #require(throws: SMPPDecodingError.self) {
            try channel.writeInbound(ByteBuffer(bytes: wire("00001001 00000004 00000000 0000002A")))
        }
        #expect(error.isFatal)
        #expect(error.kind == .commandLengthTooLong(4097, maximum: 4096))
        #expect(error.header?.sequenceNumber == 42)
    }

    @Test func unknownCommandIDKeepsTheSessionGoing() throws {
        var buffer = ByteBuffer(bytes: wire("00000010 00000099 00000000 00000007") + goldenVectors[0].bytes)
        let unknown = try #require(try buffer.readSMPPFrame())
        #expect(unknown.pdu == .unknown(UnknownPDU(commandID: CommandID(rawValue: 0x99))))
        #expect(unknown.commandID.expectsResponse)
        #expect(unknown.commandID.response == CommandID(rawValue: 0x8000_0099))
        #expect(try buffer.readSMPPFrame() == goldenVectors[0].frame)
    }

    @Test func emptyBodiesOfResponsesAreAccepted() throws {
        // deliver_sm_resp without its NULL message_id, as many ESMEs send it.
        var buffer = ByteBuffer(bytes: wire("00000010 80000005 00000000 00000007"))
        #expect(try buffer.readSMPPFrame() == SMPPFrame(.deliverSMResp(DeliverSMResponse()), sequenceNumber: 7))
        // A failed submit_sm_resp that carries a NULL message_id anyway.
        buffer = ByteBuffer(bytes: wire("00000011 80000004 00000045 00000008 00"))
        #expect(
            try buffer.readSMPPFrame()
                == SMPPFrame(.submitSMResp(SubmitSMResponse()), sequenceNumber: 8, commandStatus: .submitFailed)
        )
    }

    @Test func paddingAfterAHeaderOnlyPDUIsIgnored() throws {
        var buffer = ByteBuffer(bytes: wire("00000012 00000015 00000000 00000003 0000"))
        #expect(try buffer.readSMPPFrame() == SMPPFrame(.enquireLink, sequenceNumber: 3))
        #expect(buffer.readableBytes == 0)
    }
}

@Suite struct EncoderHandlerTests {
    @Test func aValueThatDoesNotFitFailsOnlyItsOwnWrite() throws {
        let channel = EmbeddedChannel(handler: SMPPFrameEncoderHandler())
        let tooLong = SMPPFrame(.bindTransmitter(Bind(systemID: "a-system-id-too-long", password: "pw")), sequenceNumber: 1)
        #expect(throws: SMPPEncodingError.self) { try channel.writeOutbound(tooLong) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        // The next write is unaffected.
        try channel.writeOutbound(goldenVectors[0].frame)
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.bytes == goldenVectors[0].bytes)
        #expect(try channel.finish().isClean)
    }
}
