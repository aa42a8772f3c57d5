internal import NIOCore

/// The body of submit_sm_resp, deliver_sm_resp and data_sm_resp: a message id and optional TLVs.
///
/// In deliver_sm_resp the message id is unused and empty. TLVs are defined for data_sm_resp
/// (`delivery_failure_reason`, `network_error_code`, …) and allowed by SMPP 5.0 in the others.
public struct SubmitSMResponse: Hashable, Sendable {
    /// The SMSC's id for the message (at most 64 characters).
    public var messageID: String
    public var tlvs: TLVs

    public init(messageID: String = "", tlvs: TLVs = []) {
        self.messageID = messageID
        self.tlvs = tlvs
    }

    /// Whether there is nothing to send: the specification omits the body of a failed submit_sm_resp.
    var isEmpty: Bool { self.messageID.isEmpty && self.tlvs.isEmpty }
}

/// The body of deliver_sm_resp.
public typealias DeliverSMResponse = SubmitSMResponse
/// The body of data_sm_resp.
public typealias DataSMResponse = SubmitSMResponse

extension SubmitSMResponse {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        do {
            self.messageID = try body.readSMPPCString(.messageID, maxLength: limits.maximum(65))
        } catch where !limits.strict && error.kind == .missingTerminator(.messageID) {
            // A sloppy peer's id without its NUL at the end of the body (seen in the field, and
            // unambiguous: nothing can follow a C-Octet String that does not end): the rest is the id.
            self.messageID = String(smppOctets: body.readableBytesView)
            body.moveReaderIndex(to: body.writerIndex)
            self.tlvs = []
            return
        }
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.messageID, .messageID, maxLength: 65)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
