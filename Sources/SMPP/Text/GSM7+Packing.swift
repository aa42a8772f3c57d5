extension GSM7 {
    /// Packs septets into octets, eight septets in seven octets, least significant bit first
    /// (3GPP TS 23.038 §6.1.2.1).
    ///
    /// `fillBits` (0–6) zero bits come first, so that text after a User Data Header starts on a
    /// septet boundary: a UDH of `n` octets needs `(7 - (8 * n) % 7) % 7` fill bits (one for the
    /// 6-octet concatenation header), see ``fillBits(afterHeaderOfLength:)``.
    /// When the last octet would keep seven spare bits, they carry CR (0x0D) rather than zeros, as
    /// 23.038 §6.1.2.3.1 prescribes, so a receiver that derives the count from the length does not
    /// see a phantom "@"; ``unpack(_:septetCount:fillBits:)`` drops that padding again.
    public static func pack(_ septets: some Collection<UInt8>, fillBits: Int = 0) -> [UInt8] {
        precondition((0...6).contains(fillBits), "fill bits must be 0–6")
        return UTF8Scalars.withContiguousBytes(septets) { septets in
            [UInt8](unsafeUninitializedCapacity: self.packedLength(septetCount: septets.count, fillBits: fillBits)) {
                octets,
                initialized in
                initialized = self.pack(septets, fillBits: fillBits, into: UnsafeMutableRawBufferPointer(octets))
            }
        }
    }

    /// The number of octets `septetCount` septets take packed after `fillBits` fill bits.
    static func packedLength(septetCount: Int, fillBits: Int) -> Int {
        (fillBits + septetCount * 7 + 7) / 8
    }

    /// Packs into `output`, which must hold ``packedLength(septetCount:fillBits:)`` octets; returns
    /// the number written.
    static func pack(
        _ septets: UnsafeBufferPointer<UInt8>,
        fillBits: Int,
        into output: UnsafeMutableRawBufferPointer
    ) -> Int {
        var written = 0
        var accumulator: UInt32 = 0
        var bits = fillBits
        for septet in septets {
            accumulator |= UInt32(septet & 0x7F) << bits
            bits &+= 7
            if bits >= 8 {
                output[written] = UInt8(truncatingIfNeeded: accumulator)
                written &+= 1
                accumulator >>= 8
                bits &-= 8
            }
        }
        if bits == 1 {
            accumulator |= 0x0D << 1
            bits = 8
        }
        if bits > 0 {
            output[written] = UInt8(truncatingIfNeeded: accumulator)
            written &+= 1
        }
        return written
    }

    /// Unpacks septets from packed octets, skipping `fillBits` (0–6) leading bits.
    ///
    /// With `septetCount` `nil`, the count is derived from the length: every whole septet is
    /// returned, except a CR in the top seven bits of the last octet, which is taken for the padding
    /// ``pack(_:fillBits:)`` writes (so a text whose final CR lands exactly there loses it). Seven
    /// spare *zero* bits cannot be told from a final "@" and decode as one. Packed SMPP carries no
    /// septet count, so these ambiguities are inherent; pass the count when it is known. A count
    /// beyond the data is clamped.
    public static func unpack(_ octets: some Collection<UInt8>, septetCount: Int? = nil, fillBits: Int = 0) -> [UInt8] {
        precondition((0...6).contains(fillBits), "fill bits must be 0–6")
        return UTF8Scalars.withContiguousBytes(octets) { octets in
            let available = max(0, (octets.count * 8 - fillBits) / 7)
            let count = max(0, min(septetCount ?? available, available))
            var septets = [UInt8]()
            septets.reserveCapacity(count)
            for index in 0..<count {
                septets.append(self.septet(at: fillBits + index * 7, in: octets))
            }
            // The last septet ends exactly at the end of the data, in the top seven bits of the last
            // octet: where pack(_:fillBits:) puts its CR padding.
            if septetCount == nil, count > 0, fillBits + count * 7 == octets.count * 8, septets[count - 1] == 0x0D {
                septets.removeLast()
            }
            return septets
        }
    }

    /// The number of fill bits that put the first septet after a UDH of `headerLength` octets on a
    /// septet boundary.
    public static func fillBits(afterHeaderOfLength headerLength: Int) -> Int {
        (7 - (headerLength * 8) % 7) % 7
    }

    /// The septet that starts at bit `bit` of `octets`.
    @inline(__always)
    private static func septet(at bit: Int, in octets: UnsafeBufferPointer<UInt8>) -> UInt8 {
        let byte = bit >> 3
        let shift = bit & 7
        var value = UInt16(octets[byte]) >> shift
        if shift > 1 {
            value |= UInt16(octets[byte + 1]) << (8 - shift)
        }
        return UInt8(truncatingIfNeeded: value) & 0x7F
    }
}
