import Foundation
import Logging

/// One JSON object per line on standard error: `ts` (RFC 3339 in UTC to the millisecond,
/// `2026-12-04T04:19:03.123Z`), `level`, `label`, `message`, and the metadata as string fields
/// (`message.id`, `smpp.connector`, …), for log shippers.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in self.metadataProvider?.get() ?? [:] { fields[key] = "\(value)" }
        for (key, value) in self.metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        fields["ts"] = Self.now()
        fields["level"] = event.level.rawValue
        fields["label"] = self.label
        fields["message"] = "\(event.message)"
        fields["source"] = event.source
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: options) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }
}

extension JSONLogHandler {
    /// The time now as RFC 3339 in UTC to the millisecond, `2026-12-04T04:19:03.123Z`: the clock
    /// and `gmtime_r` written out digit by digit, no formatter per line.
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Self.timestamp(seconds: time.tv_sec, milliseconds: Int(time.tv_nsec / 1_000_000))
    }

    /// `seconds` since 1970 (UTC) and `milliseconds` (0…999) as RFC 3339.
    static func timestamp(seconds: Int, milliseconds: Int) -> String {
        var seconds = time_t(seconds)
        var utc = tm()
        gmtime_r(&seconds, &utc)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            func write(_ value: Int, digits: Int) {
                var value = value
                for position in stride(from: index + digits - 1, through: index, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                index += digits
            }
            func write(_ character: Unicode.Scalar) {
                buffer[index] = UInt8(ascii: character)
                index += 1
            }
            write(Int(utc.tm_year) + 1900, digits: 4)
            write("-")
            write(Int(utc.tm_mon) + 1, digits: 2)
            write("-")
            write(Int(utc.tm_mday), digits: 2)
            write("T")
            write(Int(utc.tm_hour), digits: 2)
            write(":")
            write(Int(utc.tm_min), digits: 2)
            write(":")
            write(Int(utc.tm_sec), digits: 2)
            write(".")
            write(milliseconds, digits: 3)
            write("Z")
            return index
        }
    }
}
