/// UCS-2 as SMSCs and handsets really use it: UTF-16 big-endian, without a byte-order mark.
///
/// Characters outside the Basic Multilingual Plane (emoji) travel as surrogate pairs, two 16-bit
/// units (SMPP.md §9.5). Every string can be encoded; decoding never fails.
public enum UCS2 {
    /// Encodes text as UTF-16BE octets, two per code unit.
    public static func encode(_ text: String) -> [UInt8] {
        UTF8Scalars.withUTF8(text) { utf8 in
            // Each UTF-8 sequence of n octets becomes 2 (n ≤ 3) or 4 (n = 4) octets: at most 2 × the UTF-8 length.
            [UInt8](unsafeUninitializedCapacity: utf8.count * 2) { output, initialized in
                var written = 0
                var index = 0
                while index < utf8.count {
                    let scalar = UTF8Scalars.next(utf8, &index)
                    if scalar < 0x1_0000 {
                        output[written] = UInt8(truncatingIfNeeded: scalar >> 8)
                        output[written &+ 1] = UInt8(truncatingIfNeeded: scalar)
                        written &+= 2
                    } else {
                        let value = scalar &- 0x1_0000
                        let high = 0xD800 | value >> 10
                        let low = 0xDC00 | value & 0x3FF
                        output[written] = UInt8(truncatingIfNeeded: high >> 8)
                        output[written &+ 1] = UInt8(truncatingIfNeeded: high)
                        output[written &+ 2] = UInt8(truncatingIfNeeded: low >> 8)
                        output[written &+ 3] = UInt8(truncatingIfNeeded: low)
                        written &+= 4
                    }
                }
                initialized = written
            }
        }
    }

    /// The number of UTF-16 code units of `text` (a character outside the BMP counts two).
    public static func unitCount(of text: String) -> Int {
        UTF8Scalars.withUTF8(text) { utf8 in
            var count = 0
            for byte in utf8 {
                // Lead octets count one unit; a four-octet lead (a non-BMP scalar) one more.
                if byte & 0xC0 != 0x80 { count &+= 1 }
                if byte >= 0xF0 { count &+= 1 }
            }
            return count
        }
    }

    /// Decodes UTF-16BE octets. An unpaired surrogate, and a trailing odd octet, decode as U+FFFD.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        UTF8Scalars.withContiguousBytes(bytes) { bytes in
            let units = bytes.count / 2
            return String(unsafeUninitializedCapacity: units * 3 + 3) { output in
                var written = 0
                var index = 0
                while index < units {
                    let unit = UInt32(bytes[2 &* index]) << 8 | UInt32(bytes[2 &* index &+ 1])
                    index &+= 1
                    switch unit {
                    case 0xD800...0xDBFF:
                        if index < units {
                            let next = UInt32(bytes[2 &* index]) << 8 | UInt32(bytes[2 &* index &+ 1])
                            if (0xDC00...0xDFFF).contains(next) {
                                index &+= 1
                                let scalar = 0x1_0000 &+ ((unit & 0x3FF) << 10 | next & 0x3FF)
                                UTF8Scalars.write(scalar: scalar, to: output, at: &written)
                                continue
                            }
                        }
                        UTF8Scalars.write(scalar: 0xFFFD, to: output, at: &written)
                    case 0xDC00...0xDFFF:
                        UTF8Scalars.write(scalar: 0xFFFD, to: output, at: &written)
                    default:
                        UTF8Scalars.write(scalar: unit, to: output, at: &written)
                    }
                }
                if bytes.count % 2 != 0 {
                    UTF8Scalars.write(scalar: 0xFFFD, to: output, at: &written)
                }
                return written
            }
        }
    }
}
