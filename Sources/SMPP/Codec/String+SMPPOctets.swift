// C-Octet Strings (system_id, addresses, message ids, times, …) are octets on the wire. SMPP 3.4
// says ASCII; real SMSCs now and then send UTF-8 or Latin-1 (an alphanumeric sender "Café" as
// 43 61 66 E9). The PDU model keeps these fields as `String`s, so the mapping between octets and
// text must lose nothing: decode → encode gives back the received octets, whatever they are.
//
// The mapping: octets that form valid UTF-8 decode as UTF-8. Every other octet (0x80…0xFF outside
// a valid sequence) decodes to the Private Use Area scalar U+F700 + octet (U+F780…U+F7FF), and
// the encoder writes those scalars back as that single octet. So that a valid UTF-8 encoding of a
// scalar in U+F780…U+F7FF (EF 9E xx, EF 9F xx) still round-trips, it is escaped octet by octet like
// invalid input. The mapping is a bijection between octet strings and the strings it produces.

extension String {
    /// Decodes the octets of a C-Octet String field (without its NUL) so that ``smppOctets`` gives
    /// them back exactly.
    ///
    /// Valid UTF-8 decodes as UTF-8 (ASCII, what the specification asks for, is the common case).
    /// An octet that is not part of a valid UTF-8 sequence becomes the Private Use Area scalar
    /// U+F700 + octet: a Latin-1 `é` (0xE9) reads as U+F7E9. The bytes of a scalar in U+F780…U+F7FF
    /// are escaped the same way, so the mapping never confuses the two.
    public init(smppOctets octets: some Collection<UInt8>) {
        if let string = octets.withContiguousStorageIfAvailable({
            String(decodingSMPPOctets: UnsafeRawBufferPointer($0))
        }) {
            self = string
        } else {
            self = Array(octets).withUnsafeBytes { String(decodingSMPPOctets: $0) }
        }
    }

    /// The octets that ``init(smppOctets:)`` decoded from: UTF-8, except that each scalar
    /// U+F780…U+F7FF is written as the single octet 0x80…0xFF it stands for.
    public var smppOctets: [UInt8] {
        var copy = self
        return copy.withSMPPOctets { Array($0) }
    }

    /// The text for people to read: each escaped octet (U+F780…U+F7FF, an octet that was not
    /// valid UTF-8) as the Latin-1 character of that octet (U+0080…U+00FF), so a sender sent as
    /// 43 61 66 E9 reads "Café". Not for writing back: ``smppOctets`` of the result is UTF-8.
    public var smppOctetsReadAsLatin1: String {
        guard self.unicodeScalars.contains(where: { Self.escapeRange.contains($0.value) }) else { return self }
        var scalars = String.UnicodeScalarView()
        for scalar in self.unicodeScalars {
            if Self.escapeRange.contains(scalar.value) {
                scalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: scalar.value - Self.escapeBase)))
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// The number of octets ``smppOctets`` has (without a NUL).
    var smppOctetCount: Int {
        var copy = self
        return copy.withSMPPOctets { $0.count }
    }

    /// Calls `body` with the field's octets; no copy unless the string holds escaped octets.
    @inline(__always)
    mutating func withSMPPOctets<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let escaped = self.withUTF8 { utf8 in Self.containsEscapes(utf8) }
        guard escaped else { return try self.withUTF8(body) }
        var octets: [UInt8] = []
        octets.reserveCapacity(self.utf8.count)
        for scalar in self.unicodeScalars {
            if Self.escapeRange.contains(scalar.value) {
                octets.append(UInt8(truncatingIfNeeded: scalar.value - Self.escapeBase))
            } else {
                octets.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return try octets.withUnsafeBufferPointer(body)
    }

    /// U+F700: an escaped octet `x` is U+F700 + `x`.
    static let escapeBase: UInt32 = 0xF700
    /// The scalars that stand for single octets 0x80…0xFF.
    static let escapeRange: ClosedRange<UInt32> = 0xF780...0xF7FF

    /// Whether UTF-8 `bytes` hold a scalar of the escape range (EF 9E xx or EF 9F xx).
    @inline(__always)
    static func containsEscapes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0xEF && bytes[index + 1] & 0xFE == 0x9E { return true }
            index &+= 1
        }
        return false
    }

    /// Decodes `octets`: ASCII and valid UTF-8 directly, anything else octet by octet.
    @inline(__always)
    init(decodingSMPPOctets octets: UnsafeRawBufferPointer) {
        var high: UInt8 = 0
        for octet in octets { high |= octet }
        if high < 0x80 {
            self = String(decoding: octets, as: UTF8.self)
        } else {
            self = Self.decodeEscaping(octets)
        }
    }

    /// The general case: walks the octets as UTF-8, escaping each octet that does not start a
    /// well-formed sequence (Unicode Table 3-7) or that starts the encoding of an escape scalar.
    private static func decodeEscaping(_ octets: UnsafeRawBufferPointer) -> String {
        var scalars = String.UnicodeScalarView()
        var index = 0
        let count = octets.count
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> UInt32? {
            guard index + offset < count, range.contains(octets[index + offset]) else { return nil }
            return UInt32(octets[index + offset] & 0x3F)
        }
        while index < count {
            let lead = octets[index]
            var decoded: (scalar: UInt32, length: Int)?
            switch lead {
            case 0x00...0x7F:
                decoded = (UInt32(lead), 1)
            case 0xC2...0xDF:
                if let c1 = continuation(1) { decoded = (UInt32(lead & 0x1F) << 6 | c1, 2) }
            case 0xE0...0xEF:
                let second: ClosedRange<UInt8> =
                    switch lead {
                    case 0xE0: 0xA0...0xBF
                    case 0xED: 0x80...0x9F
                    default: 0x80...0xBF
                    }
                if let c1 = continuation(1, second), let c2 = continuation(2) {
                    decoded = (UInt32(lead & 0x0F) << 12 | c1 << 6 | c2, 3)
                }
            case 0xF0...0xF4:
                let second: ClosedRange<UInt8> =
                    switch lead {
                    case 0xF0: 0x90...0xBF
                    case 0xF4: 0x80...0x8F
                    default: 0x80...0xBF
                    }
                if let c1 = continuation(1, second), let c2 = continuation(2), let c3 = continuation(3) {
                    decoded = (UInt32(lead & 0x07) << 18 | c1 << 12 | c2 << 6 | c3, 4)
                }
            default:
                break
            }
            if let (value, length) = decoded, !Self.escapeRange.contains(value) {
                scalars.append(Unicode.Scalar(value)!)
                index += length
            } else {
                scalars.append(Unicode.Scalar(Self.escapeBase + UInt32(lead))!)
                index += 1
            }
        }
        return String(scalars)
    }
}
