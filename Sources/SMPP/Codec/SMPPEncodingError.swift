/// Why a PDU value cannot be written: a field does not fit the specification's sizes.
///
/// The encoder never truncates silently; the write fails with this error instead.
public struct SMPPEncodingError: Error, Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A C-Octet String is longer than its maximum (the maximum includes the NUL).
        case valueTooLong(PDUField, length: Int, maximum: Int)
        /// A C-Octet String contains a NUL octet, which would end it early on the wire.
        case containsNUL(PDUField)
        /// A time field is neither empty nor 16 characters.
        case invalidTimeLength(PDUField, length: Int)
        /// `short_message` is longer than 254 octets; use `message_payload` instead.
        case shortMessageTooLong(length: Int)
        /// More than 254 destinations in a submit_multi, or more than 255 unsuccessful entries.
        case tooManyEntries(PDUField, count: Int)
        /// A TLV value longer than 65 535 octets.
        case tlvTooLong(TLVTag, length: Int)
    }

    public var kind: Kind
    public var commandID: CommandID?

    public init(_ kind: Kind, commandID: CommandID? = nil) {
        self.kind = kind
        self.commandID = commandID
    }
}

extension SMPPEncodingError: CustomStringConvertible {
    public var description: String {
        let what: String
        switch self.kind {
        case .valueTooLong(let field, let length, let maximum):
            what = "\(field) is \(length) octets, above its maximum of \(maximum - 1) (plus NUL)"
        case .containsNUL(let field):
            what = "\(field) contains a NUL octet"
        case .invalidTimeLength(let field, let length):
            what = "\(field) must be empty or 16 characters, found \(length)"
        case .shortMessageTooLong(let length):
            what = "short_message is \(length) octets, above 254; use message_payload"
        case .tooManyEntries(let field, let count):
            what = "\(field) of \(count) exceeds the one-octet count"
        case .tlvTooLong(let tag, let length):
            what = "TLV \(tag) value of \(length) octets exceeds 65535"
        }
        if let commandID = self.commandID { return "\(commandID): \(what)" }
        return what
    }
}
