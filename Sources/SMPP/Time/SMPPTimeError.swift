/// Why a text is not a valid SMPP time, or why values cannot form one.
///
/// An SMSC answers a submit_sm whose time is invalid with `ESME_RINVSCHED` (schedule_delivery_time)
/// or `ESME_RINVEXPIRY` (validity_period); which one depends on the field, so the caller maps it.
public enum SMPPTimeError: Error, Hashable, Sendable {
    /// The text is not exactly 16 characters long (the NUL terminator is not part of it).
    case invalidLength(Int)
    /// The character at this 1-based position must be a decimal digit.
    case notADigit(position: Int)
    /// The 16th character (this octet) is none of `+`, `-` and `R`.
    case invalidIndicator(UInt8)
    /// A component lies outside its range (e.g. month 13, offset 49 quarter hours, year 2100).
    case outOfRange(SMPPTime.Component, Int)
    /// A relative time whose characters 13–15 (tenths and offset) are not `000`.
    case relativeSuffixNotZero
}

extension SMPPTimeError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidLength(let length):
            "SMPP time must be 16 characters, found \(length)"
        case .notADigit(let position):
            "SMPP time character \(position) is not a digit"
        case .invalidIndicator(let octet):
            "SMPP time character 16 must be '+', '-' or 'R', found 0x\(String(octet, radix: 16, uppercase: true))"
        case .outOfRange(let component, let value):
            "SMPP time \(component) \(value) is out of range"
        case .relativeSuffixNotZero:
            "relative SMPP time must end in \"000R\""
        }
    }
}
