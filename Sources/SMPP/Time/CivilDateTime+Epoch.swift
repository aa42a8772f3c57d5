// Conversions between civil dates and days / seconds since the Unix epoch (1970-01-01),
// using Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms: exact for every
// proleptic Gregorian date, with no tables and no Foundation.

extension CivilDateTime {
    /// The number of days from 1970-01-01 to the given date (negative before it).
    ///
    /// The date is not validated; out-of-range days and months are counted arithmetically from
    /// the first of the month / March-based year.
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        // Shift the year to start in March, so the leap day is the year's last day.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400  // 0...399
        let shiftedMonth = month > 2 ? month - 3 : month + 9  // March = 0 ... February = 11
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1  // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // 0...146096
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date `days` days after 1970-01-01 (before it when negative).
    public static func date(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0...11, March-based
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The civil date and time `seconds` seconds after 1970-01-01T00:00:00 (no leap seconds).
    public init(secondsSinceEpoch seconds: Int64) {
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let date = Self.date(daysSinceEpoch: Int(days))
        let second = Int(secondOfDay)
        self.init(
            year: date.year,
            month: date.month,
            day: date.day,
            hour: second / 3600,
            minute: second % 3600 / 60,
            second: second % 60
        )
    }

    /// The seconds from 1970-01-01T00:00:00 to this date and time, read as a wall clock with no
    /// offset (that is, as UTC).
    public var secondsSinceEpoch: Int64 {
        let days = Int64(Self.daysSinceEpoch(year: self.year, month: self.month, day: self.day))
        return days * 86_400 + Int64(self.hour) * 3600 + Int64(self.minute) * 60 + Int64(self.second)
    }

    /// The instant this wall-clock reading denotes in a zone `utcOffsetSeconds` ahead of UTC
    /// (negative: behind UTC).
    public func utcInstant(utcOffsetSeconds: Int) -> UTCInstant {
        UTCInstant(secondsSinceEpoch: self.secondsSinceEpoch - Int64(utcOffsetSeconds))
    }

    /// The wall-clock reading of `instant` in a zone `utcOffsetSeconds` ahead of UTC
    /// (negative: behind UTC). Sub-second parts are dropped.
    public init(_ instant: UTCInstant, utcOffsetSeconds: Int = 0) {
        self.init(secondsSinceEpoch: instant.secondsSinceEpoch + Int64(utcOffsetSeconds))
    }
}

/// Quotient and remainder rounded towards negative infinity (the remainder is never negative).
@inline(__always)
func floorDivision(_ dividend: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    let quotient = dividend / divisor
    let remainder = dividend % divisor
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
}
