/// A value of an SMPP time field (`schedule_delivery_time`, `validity_period`, `final_date`):
/// `YYMMDDhhmmsstnnp`, absolute or relative (SMPP 3.4 §7.1.1).
///
/// - Absolute, `p` = `+` or `-`: a local date and time with tenths of a second and the zone's offset
///   from UTC in quarter hours (`nn`, 00–48); `+` means the local time is ahead of UTC.
///   Example: `250101120000004+` is 12:00 at UTC+01:00, that is 11:00 UTC.
/// - Relative, `p` = `R`, `tnn` = `000`: a period of years, months, days, hours, minutes and seconds
///   to add to the SMSC's current time. Example: `000001000000000R` is one day.
///
/// Two-digit years mean 2000–2099: SMPP 3.4 dates from 1999 and every time it carries is a
/// schedule or expiry close to the present, so no earlier pivot is useful.
///
/// Parsing accepts exactly 16 characters; ``description`` writes them back byte for byte
/// (including a `-` sign on a zero offset). An empty field — SMPP's NULL — is not an `SMPPTime`;
/// see ``init(field:)``.
public enum SMPPTime: Hashable, Sendable {
    /// A point in time.
    case absolute(Absolute)
    /// A period after the SMSC's current time.
    case relative(Relative)

    /// A component of an SMPP time, as named in errors.
    public enum Component: Hashable, Sendable {
        case year, month, day, hour, minute, second, tenths, utcOffset
    }

    /// Parses the 16-character form (without the NUL terminator).
    public init(parsing text: some StringProtocol) throws(SMPPTimeError) {
        let parsed: Result<SMPPTime, SMPPTimeError>? = text.utf8.withContiguousStorageIfAvailable { bytes in
            Self.parse(bytes)
        }
        switch parsed ?? Self.parse(Array(text.utf8)) {
        case .success(let time): self = time
        case .failure(let error): throw error
        }
    }

    /// Parses a time field as it travels in a PDU: `nil` for the empty string (NULL), otherwise the
    /// 16-character form.
    public init?(field: String) throws(SMPPTimeError) {
        if field.isEmpty { return nil }
        try self.init(parsing: field)
    }

    /// The instant this time denotes: an absolute time converted to UTC, or a relative one added to `now`.
    public func resolved(relativeTo now: UTCInstant) -> UTCInstant {
        switch self {
        case .absolute(let absolute): absolute.utcInstant
        case .relative(let relative): relative.added(to: now)
        }
    }

    private static func parse(_ bytes: some RandomAccessCollection<UInt8>) -> Result<SMPPTime, SMPPTimeError> {
        guard bytes.count == 16 else { return .failure(.invalidLength(bytes.count)) }
        var values = (0, 0, 0, 0, 0, 0, 0, 0)  // YY MM DD hh mm ss t nn
        var index = bytes.startIndex
        for position in 0..<15 {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return .failure(.notADigit(position: position + 1)) }
            switch position {
            case 0, 1: values.0 = values.0 * 10 + Int(digit)
            case 2, 3: values.1 = values.1 * 10 + Int(digit)
            case 4, 5: values.2 = values.2 * 10 + Int(digit)
            case 6, 7: values.3 = values.3 * 10 + Int(digit)
            case 8, 9: values.4 = values.4 * 10 + Int(digit)
            case 10, 11: values.5 = values.5 * 10 + Int(digit)
            case 12: values.6 = Int(digit)
            default: values.7 = values.7 * 10 + Int(digit)
            }
            index = bytes.index(after: index)
        }
        let indicator = bytes[index]
        do {
            switch indicator {
            case UInt8(ascii: "R"):
                guard values.6 == 0, values.7 == 0 else { return .failure(.relativeSuffixNotZero) }
                let relative = try Relative(
                    years: values.0,
                    months: values.1,
                    days: values.2,
                    hours: values.3,
                    minutes: values.4,
                    seconds: values.5
                )
                return .success(.relative(relative))
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let dateTime = CivilDateTime(
                    year: 2000 + values.0,
                    month: values.1,
                    day: values.2,
                    hour: values.3,
                    minute: values.4,
                    second: values.5
                )
                let absolute = try Absolute(
                    dateTime: dateTime,
                    tenths: values.6,
                    offsetQuarterHours: values.7,
                    direction: indicator == UInt8(ascii: "+") ? .ahead : .behind
                )
                return .success(.absolute(absolute))
            default:
                return .failure(.invalidIndicator(indicator))
            }
        } catch {
            return .failure(error)
        }
    }
}

extension SMPPTime: CustomStringConvertible, LosslessStringConvertible {
    /// The 16-character wire form, e.g. `250101120000004+` or `000001000000000R`.
    public var description: String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            func put(_ value: Int, at position: Int) {
                buffer[position] = UInt8(ascii: "0") + UInt8(value / 10)
                buffer[position + 1] = UInt8(ascii: "0") + UInt8(value % 10)
            }
            switch self {
            case .absolute(let time):
                put(time.dateTime.year - 2000, at: 0)
                put(time.dateTime.month, at: 2)
                put(time.dateTime.day, at: 4)
                put(time.dateTime.hour, at: 6)
                put(time.dateTime.minute, at: 8)
                put(time.dateTime.second, at: 10)
                buffer[12] = UInt8(ascii: "0") + UInt8(time.tenths)
                put(time.offsetQuarterHours, at: 13)
                buffer[15] = time.direction == .ahead ? UInt8(ascii: "+") : UInt8(ascii: "-")
            case .relative(let period):
                put(period.years, at: 0)
                put(period.months, at: 2)
                put(period.days, at: 4)
                put(period.hours, at: 6)
                put(period.minutes, at: 8)
                put(period.seconds, at: 10)
                buffer[12] = UInt8(ascii: "0")
                buffer[13] = UInt8(ascii: "0")
                buffer[14] = UInt8(ascii: "0")
                buffer[15] = UInt8(ascii: "R")
            }
            return 16
        }
    }

    /// Parses the 16-character form; `nil` when it is invalid.
    public init?(_ description: String) {
        do {
            try self.init(parsing: description)
        } catch {
            return nil
        }
    }
}
