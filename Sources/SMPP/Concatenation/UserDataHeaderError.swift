/// Why user data that claims a User Data Header (esm_class UDHI) does not hold a well-formed one,
/// or why a header cannot be built.
public enum UserDataHeaderError: Error, Hashable, Sendable {
    /// UDHI is set but the user data is empty.
    case missingHeader
    /// The UDHL octet announces more header octets than the user data holds.
    case headerLengthBeyondData(headerLength: Int, available: Int)
    /// An information element's length (IEDL) runs past the end of the header. `offset` is the
    /// element's position within the header, counted from the octet after UDHL.
    case elementLengthBeyondHeader(identifier: UInt8, offset: Int, length: Int, remaining: Int)
    /// One octet remains in the header: too few for an element's identifier and length.
    case truncatedElement(offset: Int)
    /// An element to build carries more than 255 octets of data.
    case elementTooLong(identifier: UInt8, length: Int)
    /// A header to build would exceed the 255 octets UDHL can announce.
    case headerTooLong(length: Int)
}

extension UserDataHeaderError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingHeader:
            "UDHI is set but the user data is empty"
        case .headerLengthBeyondData(let headerLength, let available):
            "UDHL \(headerLength) exceeds the \(available) octets of user data after it"
        case .elementLengthBeyondHeader(let identifier, let offset, let length, let remaining):
            "information element \(Self.hex(identifier)) at offset \(offset) has length \(length) but only \(remaining) header octets remain"
        case .truncatedElement(let offset):
            "a single stray octet at header offset \(offset) is too short for an information element"
        case .elementTooLong(let identifier, let length):
            "information element \(Self.hex(identifier)) has \(length) octets of data, more than 255"
        case .headerTooLong(let length):
            "a User Data Header of \(length) octets exceeds the 255 UDHL can announce"
        }
    }

    private static func hex(_ identifier: UInt8) -> String {
        (identifier < 0x10 ? "0x0" : "0x") + String(identifier, radix: 16, uppercase: true)
    }
}
