extension SMPPTime {
    /// An absolute SMPP time: a local date and time, tenths of a second, and the zone's offset from UTC.
    ///
    /// The values are validated on construction, so every `Absolute` can be written as 16 characters.
    public struct Absolute: Hashable, Sendable {
        /// Which side of UTC the local time is on: the 16th character of the field.
        public enum OffsetDirection: Hashable, Sendable {
            /// `+`: the local time is ahead of UTC (east of Greenwich).
            case ahead
            /// `-`: the local time is behind UTC.
            case behind
        }

        /// The local date and time as written (year 2000–2099).
        public let dateTime: CivilDateTime
        /// Tenths of a second, 0–9.
        public let tenths: Int
        /// The size of the offset from UTC in quarter hours, 0–48.
        public let offsetQuarterHours: Int
        /// The sign of the offset. Kept even for a zero offset, so `…000-` formats back as written.
        public let direction: OffsetDirection

        /// Creates an absolute time from local values.
        ///
        /// - Throws: ``SMPPTimeError/outOfRange(_:_:)`` for a year outside 2000–2099, a date that
        ///   does not exist, an hour, minute, second or tenth out of range, or an offset above 48.
        public init(
            dateTime: CivilDateTime,
            tenths: Int = 0,
            offsetQuarterHours: Int = 0,
            direction: OffsetDirection = .ahead
        ) throws(SMPPTimeError) {
            guard (2000...2099).contains(dateTime.year) else { throw .outOfRange(.year, dateTime.year) }
            guard (1...12).contains(dateTime.month) else { throw .outOfRange(.month, dateTime.month) }
            let monthLength = CivilDateTime.daysInMonth(year: dateTime.year, month: dateTime.month)
            guard (1...monthLength).contains(dateTime.day) else { throw .outOfRange(.day, dateTime.day) }
            guard (0...23).contains(dateTime.hour) else { throw .outOfRange(.hour, dateTime.hour) }
            guard (0...59).contains(dateTime.minute) else { throw .outOfRange(.minute, dateTime.minute) }
            guard (0...59).contains(dateTime.second) else { throw .outOfRange(.second, dateTime.second) }
            guard (0...9).contains(tenths) else { throw .outOfRange(.tenths, tenths) }
            guard (0...48).contains(offsetQuarterHours) else { throw .outOfRange(.utcOffset, offsetQuarterHours) }
            self.dateTime = dateTime
            self.tenths = tenths
            self.offsetQuarterHours = offsetQuarterHours
            self.direction = direction
        }

        /// The local reading of `instant` in a zone `utcOffsetQuarterHours` ahead of UTC (negative:
        /// behind). Milliseconds are truncated to tenths; a zero offset is written with `+`.
        ///
        /// - Throws: ``SMPPTimeError/outOfRange(_:_:)`` when the offset's size exceeds 48 or the
        ///   local year falls outside 2000–2099.
        public init(_ instant: UTCInstant, utcOffsetQuarterHours: Int = 0) throws(SMPPTimeError) {
            guard (-48...48).contains(utcOffsetQuarterHours) else {
                throw .outOfRange(.utcOffset, utcOffsetQuarterHours)
            }
            let local = CivilDateTime(instant, utcOffsetSeconds: utcOffsetQuarterHours * 900)
            try self.init(
                dateTime: local,
                tenths: instant.millisecondOfSecond / 100,
                offsetQuarterHours: Int(utcOffsetQuarterHours.magnitude),
                direction: utcOffsetQuarterHours < 0 ? .behind : .ahead
            )
        }

        /// The offset from UTC in seconds: positive ahead of UTC, negative behind.
        public var utcOffsetSeconds: Int {
            let seconds = self.offsetQuarterHours * 900
            return self.direction == .ahead ? seconds : -seconds
        }

        /// The instant this time denotes: the local time minus the offset (plus the tenths).
        public var utcInstant: UTCInstant {
            let seconds = self.dateTime.secondsSinceEpoch - Int64(self.utcOffsetSeconds)
            return UTCInstant(secondsSinceEpoch: seconds, milliseconds: Int64(self.tenths) * 100)
        }
    }
}
