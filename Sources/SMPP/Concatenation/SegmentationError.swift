/// Why a message cannot be cut into parts. The gateway refuses such a message; it never truncates.
public enum SegmentationError: Error, Hashable, Sendable {
    /// A character does not fit the chosen encoding.
    case unencodable(TextEncodingError)
    /// The message needs `needed` parts, more than the `maximum` allowed (at most 255).
    case tooManyParts(needed: Int, maximum: Int)
    /// The user data exceeds what one `message_payload` TLV holds (65 535 octets).
    case payloadTooLong(octets: Int, maximum: Int)
    /// A configuration value is out of range; `key` names it.
    case invalidConfiguration(key: String, reason: String)
}

extension SegmentationError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unencodable(let error):
            error.description
        case .tooManyParts(let needed, let maximum):
            "the message needs \(needed) parts, more than the maximum of \(maximum)"
        case .payloadTooLong(let octets, let maximum):
            "the message needs \(octets) octets, more than the \(maximum) message_payload holds"
        case .invalidConfiguration(let key, let reason):
            "invalid \(key): \(reason)"
        }
    }
}
