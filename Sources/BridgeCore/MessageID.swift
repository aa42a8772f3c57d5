public import Foundation

/// Message ids: UUIDs version 7 (RFC 9562), which start with the creation time in milliseconds, so
/// new rows land at the end of the primary-key index and ids sort by creation.
public enum MessageID {
    /// A new id for `date`.
    public static func make(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return self.make(milliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)), using: &generator)
    }

    static func make(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> UUID {
        let random = generator.next() as UInt64
        let more = generator.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: random >> 60)  // version 7
        bytes[7] = UInt8(truncatingIfNeeded: random >> 52)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: random >> 46) & 0x3F  // variant 10
        for index in 9..<16 { bytes[index] = UInt8(truncatingIfNeeded: more >> (8 * (index - 9))) }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }
}

extension UUID {
    /// As the HTTP API, the command line and the logs write ids: lower case.
    public var lowercased: String { self.uuidString.lowercased() }
}
