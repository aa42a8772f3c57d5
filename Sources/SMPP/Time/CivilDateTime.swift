/// A calendar date and a time of day with no time zone (proleptic Gregorian calendar).
///
/// This is what a delivery receipt's dates are: wall-clock readings of an SMSC whose zone is not
/// stated. Conversion to an instant needs an offset from UTC, which the caller must supply
/// (``utcInstant(utcOffsetSeconds:)``). The fields are not validated on construction; ``isValid``
/// tells whether they name a real date and time.
public struct CivilDateTime: Hashable, Sendable {
    /// The full year, e.g. 2025.
    public var year: Int
    /// 1–12.
    public var month: Int
    /// 1–31, at most the length of the month.
    public var day: Int
    /// 0–23.
    public var hour: Int
    /// 0–59.
    public var minute: Int
    /// 0–59 (leap seconds are not representable, as in Unix time).
    public var second: Int

    @inlinable
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Whether every field is in range and the day exists in its month.
    public var isValid: Bool {
        (1...12).contains(self.month)
            && self.day >= 1 && self.day <= Self.daysInMonth(year: self.year, month: self.month)
            && (0...23).contains(self.hour)
            && (0...59).contains(self.minute)
            && (0...59).contains(self.second)
    }

    /// Whether `year` is a leap year in the Gregorian calendar.
    @inlinable
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` (1–12) of `year`; 0 for a month out of range.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: 31
        case 4, 6, 9, 11: 30
        case 2: Self.isLeapYear(year) ? 29 : 28
        default: 0
        }
    }
}

extension CivilDateTime: Comparable {
    public static func < (lhs: CivilDateTime, rhs: CivilDateTime) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second)
            < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second)
    }
}

extension CivilDateTime: CustomStringConvertible {
    /// ISO 8601 without a zone designator, e.g. `2025-01-01T12:00:00`.
    public var description: String {
        var out = ""
        out.reserveCapacity(19)
        appendDecimal(self.year, width: 4, to: &out)
        out.append("-")
        appendDecimal(self.month, width: 2, to: &out)
        out.append("-")
        appendDecimal(self.day, width: 2, to: &out)
        out.append("T")
        appendDecimal(self.hour, width: 2, to: &out)
        out.append(":")
        appendDecimal(self.minute, width: 2, to: &out)
        out.append(":")
        appendDecimal(self.second, width: 2, to: &out)
        return out
    }
}

/// Appends `value` in decimal, left-padded with zeros to `width` digits (a minus sign first when negative).
func appendDecimal(_ value: Int, width: Int, to string: inout String) {
    if value < 0 { string.append("-") }
    let digits = String(value.magnitude)
    if digits.utf8.count < width {
        string.append(String(repeating: "0", count: width - digits.utf8.count))
    }
    string.append(digits)
}
