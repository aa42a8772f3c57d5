extension SMPPTime {
    /// A relative SMPP time: a period to add to the SMSC's current time (`YYMMDDhhmmss000R`).
    ///
    /// Each component is written with two digits and may be 0–99 (the specification bounds none of
    /// them further, so `000000990000000R`, 99 hours, is valid).
    public struct Relative: Hashable, Sendable {
        public let years: Int
        public let months: Int
        public let days: Int
        public let hours: Int
        public let minutes: Int
        public let seconds: Int

        /// Creates a period. Every component must be 0–99.
        ///
        /// - Throws: ``SMPPTimeError/outOfRange(_:_:)`` naming the first component out of range.
        public init(
            years: Int = 0,
            months: Int = 0,
            days: Int = 0,
            hours: Int = 0,
            minutes: Int = 0,
            seconds: Int = 0
        ) throws(SMPPTimeError) {
            let range = 0...99
            guard range.contains(years) else { throw .outOfRange(.year, years) }
            guard range.contains(months) else { throw .outOfRange(.month, months) }
            guard range.contains(days) else { throw .outOfRange(.day, days) }
            guard range.contains(hours) else { throw .outOfRange(.hour, hours) }
            guard range.contains(minutes) else { throw .outOfRange(.minute, minutes) }
            guard range.contains(seconds) else { throw .outOfRange(.second, seconds) }
            self.years = years
            self.months = months
            self.days = days
            self.hours = hours
            self.minutes = minutes
            self.seconds = seconds
        }

        /// The instant this period after `base`.
        ///
        /// Years and months are calendar steps, taken on the UTC date of `base`: the month
        /// advances by `12 × years + months`, and a day past the end of the target month is
        /// clamped to its last day (31 Jan + 1 month = 28 or 29 Feb; 29 Feb 2024 + 1 year =
        /// 28 Feb 2025). Days, hours, minutes and seconds are then added as fixed lengths
        /// (86 400, 3 600, 60 and 1 seconds). Working in UTC avoids daylight-saving jumps; an SMSC
        /// that steps months in its own zone can differ from this only when the clamp or the
        /// month boundary falls differently in that zone.
        public func added(to base: UTCInstant) -> UTCInstant {
            let baseSeconds = base.secondsSinceEpoch
            var dateTime = CivilDateTime(secondsSinceEpoch: baseSeconds)
            if self.years != 0 || self.months != 0 {
                let monthIndex = dateTime.month - 1 + self.months + 12 * self.years
                dateTime.year += monthIndex / 12
                dateTime.month = monthIndex % 12 + 1
                dateTime.day = min(dateTime.day, CivilDateTime.daysInMonth(year: dateTime.year, month: dateTime.month))
            }
            let fixed =
                Int64(self.days) * 86_400 + Int64(self.hours) * 3600 + Int64(self.minutes) * 60 + Int64(self.seconds)
            let seconds = dateTime.secondsSinceEpoch + fixed
            return UTCInstant(secondsSinceEpoch: seconds, milliseconds: Int64(base.millisecondOfSecond))
        }
    }
}
