/// A point in time: milliseconds since 1970-01-01T00:00:00Z (Unix time, no leap seconds).
///
/// The SMPP target has no Foundation; this is the instant type its time conversions use. Higher
/// layers convert it to `Date` with `Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000)`.
public struct UTCInstant: Hashable, Comparable, Sendable {
    /// Milliseconds since the Unix epoch (negative before it).
    public var millisecondsSinceEpoch: Int64

    @inlinable
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant `seconds` (plus `milliseconds`) after the Unix epoch.
    @inlinable
    public init(secondsSinceEpoch seconds: Int64, milliseconds: Int64 = 0) {
        self.millisecondsSinceEpoch = seconds * 1000 + milliseconds
    }

    /// Whole seconds since the epoch, rounded down (so an instant before the epoch stays before it).
    public var secondsSinceEpoch: Int64 {
        floorDivision(self.millisecondsSinceEpoch, 1000).quotient
    }

    /// The milliseconds past ``secondsSinceEpoch``, 0–999.
    public var millisecondOfSecond: Int {
        Int(floorDivision(self.millisecondsSinceEpoch, 1000).remainder)
    }

    /// This instant moved by `seconds` (earlier when negative).
    public func adding(seconds: Int64) -> UTCInstant {
        UTCInstant(millisecondsSinceEpoch: self.millisecondsSinceEpoch + seconds * 1000)
    }

    public static func < (lhs: UTCInstant, rhs: UTCInstant) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }
}

extension UTCInstant: CustomStringConvertible {
    /// ISO 8601 in UTC with milliseconds, e.g. `2025-01-01T11:00:00.000Z`.
    public var description: String {
        var out = CivilDateTime(self).description
        out.append(".")
        appendDecimal(self.millisecondOfSecond, width: 3, to: &out)
        out.append("Z")
        return out
    }
}
