/// Why bytes received from a peer could not be decoded into a PDU.
///
/// Two families: framing errors (``isFatal``), after which the stream cannot be trusted and the
/// session answers `generic_nack` and closes; and body errors, where `command_length` delimited the
/// PDU correctly, so the session answers the request with ``commandStatus`` and carries on.
public struct SMPPDecodingError: Error, Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// `command_length` is below 16.
        case commandLengthTooShort(UInt32)
        /// `command_length` is above the configured maximum.
        case commandLengthTooLong(UInt32, maximum: Int)
        /// A mandatory field runs past the end of the body.
        case truncated(PDUField)
        /// A C-Octet String ends with the body before its NUL terminator.
        case missingTerminator(PDUField)
        /// A C-Octet String has no NUL within its maximum size.
        case valueTooLong(PDUField, maximum: Int)
        /// A time field is neither NULL nor exactly 16 characters.
        case invalidTimeLength(PDUField, length: Int)
        /// `sm_length` is larger than what remains of the body.
        case shortMessageBeyondBody(smLength: Int, remaining: Int)
        /// A submit_multi destination has a `dest_flag` other than 1 or 2.
        case invalidDestinationFlag(UInt8)
        /// One to three octets remain after the last TLV: too few for a TLV header.
        case truncatedTLVHeader(remaining: Int)
        /// A TLV's length runs past the end of the body.
        case tlvLengthBeyondBody(TLVTag, length: Int, remaining: Int)
        /// A standard TLV's length does not fit its format (e.g. `message_state` not 1 octet).
        case invalidTLVLength(TLVTag, length: Int)
    }

    public var kind: Kind
    /// The header of the offending PDU, when it could be read.
    public var header: PDUHeader?

    public init(_ kind: Kind, header: PDUHeader? = nil) {
        self.kind = kind
        self.header = header
    }

    /// Whether framing is lost: the connection must be closed after a `generic_nack`.
    public var isFatal: Bool {
        switch self.kind {
        case .commandLengthTooShort, .commandLengthTooLong: true
        default: false
        }
    }

    /// The status to answer the offending request with (in its `*_resp`, or in `generic_nack` when fatal).
    public var commandStatus: CommandStatus {
        switch self.kind {
        case .commandLengthTooShort, .commandLengthTooLong: .invalidCommandLength
        case .truncated: .invalidCommandLength
        case .missingTerminator(let field), .valueTooLong(let field, _), .invalidTimeLength(let field, _):
            field.invalidStatus
        case .shortMessageBeyondBody: .invalidMessageLength
        case .invalidDestinationFlag: .invalidDestinationFlag
        case .truncatedTLVHeader: .invalidOptionalParameterStream
        case .tlvLengthBeyondBody, .invalidTLVLength: .invalidParameterLength
        }
    }
}

extension SMPPDecodingError: CustomStringConvertible {
    public var description: String {
        let what: String
        switch self.kind {
        case .commandLengthTooShort(let length):
            what = "command_length \(length) is below the 16-octet header"
        case .commandLengthTooLong(let length, let maximum):
            what = "command_length \(length) exceeds the maximum of \(maximum)"
        case .truncated(let field):
            what = "\(field) runs past the end of the PDU"
        case .missingTerminator(let field):
            what = "\(field) has no NUL terminator before the end of the PDU"
        case .valueTooLong(let field, let maximum):
            what = "\(field) is longer than its maximum of \(maximum) octets including NUL"
        case .invalidTimeLength(let field, let length):
            what = "\(field) must be empty or 16 characters, found \(length)"
        case .shortMessageBeyondBody(let smLength, let remaining):
            what = "sm_length \(smLength) exceeds the \(remaining) octets left in the PDU"
        case .invalidDestinationFlag(let flag):
            what = "dest_flag \(flag) is neither 1 (SME address) nor 2 (distribution list)"
        case .truncatedTLVHeader(let remaining):
            what = "\(remaining) stray octets after the last TLV"
        case .tlvLengthBeyondBody(let tag, let length, let remaining):
            what = "TLV \(tag) length \(length) exceeds the \(remaining) octets left in the PDU"
        case .invalidTLVLength(let tag, let length):
            what = "TLV \(tag) has invalid length \(length)"
        }
        if let header = self.header {
            return "\(header.commandID) seq \(header.sequenceNumber): \(what)"
        }
        return what
    }
}
