public import NIOCore

extension ByteBuffer {
    /// Reads one whole PDU.
    ///
    /// - Returns: the frame, or `nil` (reader index untouched) while fewer octets than the PDU's
    ///   `command_length` are readable.
    /// - Throws: ``SMPPDecodingError``. A fatal one (`command_length` below 16 or above
    ///   `maximumLength`) leaves the reader index untouched: the stream cannot be resynchronised.
    ///   Any other error means the body was malformed; the PDU's octets have then been consumed,
    ///   the error carries the header, and the next PDU can be read.
    /// - Parameters:
    ///   - maximumLength: the largest `command_length` accepted.
    ///   - strictFieldLengths: when false, C-Octet Strings may exceed their specified maximum as
    ///     long as their NUL lies inside the PDU (for peers that send over-long ids or addresses).
    @inlinable
    public mutating func readSMPPFrame(
        maximumLength: Int = SMPPFrame.defaultMaximumLength,
        strictFieldLengths: Bool = true
    ) throws(SMPPDecodingError) -> SMPPFrame? {
        try self._readSMPPFrame(maximumLength: maximumLength, strictFieldLengths: strictFieldLengths)
    }

    @usableFromInline
    mutating func _readSMPPFrame(maximumLength: Int, strictFieldLengths: Bool) throws(SMPPDecodingError) -> SMPPFrame? {
        guard let length = self.getInteger(at: self.readerIndex, as: UInt32.self) else { return nil }
        guard length >= PDUHeader.size else { throw SMPPDecodingError(.commandLengthTooShort(length)) }
        guard
            let (_, rawID, rawStatus, sequenceNumber) = self.getMultipleIntegers(
                at: self.readerIndex,
                as: (UInt32, UInt32, UInt32, UInt32).self
            )
        else { return nil }
        let header = PDUHeader(
            commandLength: length,
            commandID: CommandID(rawValue: rawID),
            commandStatus: CommandStatus(rawValue: rawStatus),
            sequenceNumber: sequenceNumber
        )
        guard length <= maximumLength else {
            throw SMPPDecodingError(.commandLengthTooLong(length, maximum: maximumLength), header: header)
        }
        guard self.readableBytes >= Int(length) else { return nil }
        self.moveReaderIndex(forwardBy: PDUHeader.size)
        var body = self.readSlice(length: Int(length) - PDUHeader.size)!
        do {
            let pdu = try PDU(decoding: &body, header: header, limits: FieldLimits(strict: strictFieldLengths))
            return SMPPFrame(pdu, sequenceNumber: sequenceNumber, commandStatus: header.commandStatus)
        } catch {
            var error = error
            error.header = header
            throw error
        }
    }

    /// Writes one PDU, back-filling `command_length`, and returns the number of octets written.
    ///
    /// The body of a failed bind or submit_sm response is omitted when it carries nothing, as the
    /// specification asks. On error nothing is written.
    @discardableResult
    public mutating func writeSMPPFrame(_ frame: SMPPFrame) throws(SMPPEncodingError) -> Int {
        let start = self.writerIndex
        self.writeMultipleIntegers(
            UInt32(0),
            frame.commandID.rawValue,
            frame.commandStatus.rawValue,
            frame.sequenceNumber
        )
        do {
            try frame.pdu.encodeBody(into: &self, status: frame.commandStatus)
        } catch {
            self.moveWriterIndex(to: start)
            throw SMPPEncodingError(error.kind, commandID: frame.commandID)
        }
        let length = self.writerIndex - start
        self.setInteger(UInt32(length), at: start)
        return length
    }
}

extension PDU {
    /// Decodes the body of a PDU whose header has been read. `body` holds exactly the body.
    init(decoding body: inout ByteBuffer, header: PDUHeader, limits: FieldLimits) throws(SMPPDecodingError) {
        if header.commandID.isResponse, body.readableBytes == 0, let empty = Self.bodilessResponse(header) {
            self = empty
            return
        }
        switch header.commandID {
        case .submitSM: self = .submitSM(try SubmitSM(decoding: &body, limits: limits))
        case .submitSMResp: self = .submitSMResp(try SubmitSMResponse(decoding: &body, limits: limits))
        case .deliverSM: self = .deliverSM(try DeliverSM(decoding: &body, limits: limits))
        case .deliverSMResp: self = .deliverSMResp(try DeliverSMResponse(decoding: &body, limits: limits))
        case .enquireLink: self = .enquireLink
        case .enquireLinkResp: self = .enquireLinkResp
        case .dataSM: self = .dataSM(try DataSM(decoding: &body, limits: limits))
        case .dataSMResp: self = .dataSMResp(try DataSMResponse(decoding: &body, limits: limits))
        case .genericNack: self = .genericNack
        case .bindReceiver: self = .bindReceiver(try Bind(decoding: &body, limits: limits))
        case .bindTransmitter: self = .bindTransmitter(try Bind(decoding: &body, limits: limits))
        case .bindTransceiver: self = .bindTransceiver(try Bind(decoding: &body, limits: limits))
        case .bindReceiverResp: self = .bindReceiverResp(try BindResponse(decoding: &body, limits: limits))
        case .bindTransmitterResp: self = .bindTransmitterResp(try BindResponse(decoding: &body, limits: limits))
        case .bindTransceiverResp: self = .bindTransceiverResp(try BindResponse(decoding: &body, limits: limits))
        case .outbind: self = .outbind(try Outbind(decoding: &body, limits: limits))
        case .unbind: self = .unbind
        case .unbindResp: self = .unbindResp
        case .submitMulti: self = .submitMulti(try SubmitMulti(decoding: &body, limits: limits))
        case .submitMultiResp: self = .submitMultiResp(try SubmitMultiResponse(decoding: &body, limits: limits))
        case .querySM: self = .querySM(try QuerySM(decoding: &body, limits: limits))
        case .querySMResp: self = .querySMResp(try QuerySMResponse(decoding: &body, limits: limits))
        case .cancelSM: self = .cancelSM(try CancelSM(decoding: &body, limits: limits))
        case .cancelSMResp: self = .cancelSMResp
        case .replaceSM: self = .replaceSM(try ReplaceSM(decoding: &body, limits: limits))
        case .replaceSMResp: self = .replaceSMResp
        case .alertNotification: self = .alertNotification(try AlertNotification(decoding: &body, limits: limits))
        default: self = .unknown(UnknownPDU(commandID: header.commandID, body: body))
        }
        // Header-only PDUs ignore padding octets, as established gateways do.
    }

    /// The value of a response that arrived without a body. The specification omits bodies of failed
    /// responses, and many peers also send deliver_sm_resp and the like without one: accept them with
    /// empty fields. `nil` when an empty body is not acceptable for this response.
    private static func bodilessResponse(_ header: PDUHeader) -> PDU? {
        switch header.commandID {
        case .bindReceiverResp: .bindReceiverResp(BindResponse(systemID: ""))
        case .bindTransmitterResp: .bindTransmitterResp(BindResponse(systemID: ""))
        case .bindTransceiverResp: .bindTransceiverResp(BindResponse(systemID: ""))
        case .submitSMResp: .submitSMResp(SubmitSMResponse())
        case .deliverSMResp: .deliverSMResp(DeliverSMResponse())
        case .dataSMResp: .dataSMResp(DataSMResponse())
        case .submitMultiResp: .submitMultiResp(SubmitMultiResponse())
        case .querySMResp where !header.commandStatus.isSuccess:
            .querySMResp(QuerySMResponse(messageID: "", messageState: .unknown))
        default: nil
        }
    }

    func encodeBody(into buffer: inout ByteBuffer, status: CommandStatus) throws(SMPPEncodingError) {
        switch self {
        case .genericNack, .unbind, .unbindResp, .cancelSMResp, .replaceSMResp, .enquireLink, .enquireLinkResp:
            return
        case .bindReceiver(let bind), .bindTransmitter(let bind), .bindTransceiver(let bind):
            try bind.encode(into: &buffer)
        case .bindReceiverResp(let response), .bindTransmitterResp(let response), .bindTransceiverResp(let response):
            if !status.isSuccess && response.isEmpty { return }
            try response.encode(into: &buffer)
        case .outbind(let outbind):
            try outbind.encode(into: &buffer)
        case .submitSM(let message), .deliverSM(let message):
            try message.encode(into: &buffer)
        case .submitSMResp(let response):
            if !status.isSuccess && response.isEmpty { return }
            try response.encode(into: &buffer)
        case .deliverSMResp(let response), .dataSMResp(let response):
            try response.encode(into: &buffer)
        case .submitMulti(let message):
            try message.encode(into: &buffer)
        case .submitMultiResp(let response):
            try response.encode(into: &buffer)
        case .dataSM(let message):
            try message.encode(into: &buffer)
        case .querySM(let query):
            try query.encode(into: &buffer)
        case .querySMResp(let response):
            try response.encode(into: &buffer)
        case .cancelSM(let cancel):
            try cancel.encode(into: &buffer)
        case .replaceSM(let replace):
            try replace.encode(into: &buffer)
        case .alertNotification(let alert):
            try alert.encode(into: &buffer)
        case .unknown(let unknown):
            var body = unknown.body
            buffer.writeBuffer(&body)
        }
    }
}
