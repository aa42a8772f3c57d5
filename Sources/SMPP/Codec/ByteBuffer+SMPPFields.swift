internal import NIOCore

// Wire primitives for PDU bodies. Body decoding works on a slice that holds exactly one body, so
// running out of bytes is always a malformed PDU (an error), never "wait for more".

/// Per-field limits the decoder applies.
struct FieldLimits: Sendable {
    /// When false, a C-Octet String may exceed its specified maximum as long as its NUL is inside
    /// the body (for peers that send over-long ids or addresses).
    var strict: Bool

    @inline(__always)
    func maximum(_ specified: Int) -> Int { self.strict ? specified : Int.max }

    /// Whether `tail`, what is left of a body after its last TLV and too short to be a TLV header
    /// (1–3 octets), is padding to ignore: when not strict, if every octet is zero.
    ///
    /// Some SMSCs pad a PDU (to a word boundary, say); SMPP.md asks to be lenient there. Refusing
    /// with ESME_RINVTLVSTREAM makes the SMSC count a message as failed although every field was
    /// read. Only zeros are padding: a non-zero tail is more likely the start of a TLV cut short (a
    /// wrong `command_length`, or a TLV that did not fit), which is refused so that its loss shows.
    /// Four or more zero octets are not padding to the TLV reader: they read as TLVs of the reserved
    /// tag 0x0000 with no value, kept like any unknown tag (and written back byte for byte).
    @inline(__always)
    func isPadding(_ tail: ByteBufferView) -> Bool {
        !self.strict && tail.count < 4 && tail.allSatisfy { $0 == 0 }
    }
}

extension ByteBuffer {
    @inline(__always)
    mutating func readSMPPInteger<T: FixedWidthInteger>(
        _ field: PDUField,
        as: T.Type = T.self
    ) throws(SMPPDecodingError) -> T {
        guard let value = self.readInteger(as: T.self) else { throw SMPPDecodingError(.truncated(field)) }
        return value
    }

    /// Reads a C-Octet String of at most `maxLength` octets including its NUL. Octets that are not
    /// valid UTF-8 are kept so that encoding restores them (see `String(smppOctets:)`).
    @inline(__always)
    mutating func readSMPPCString(_ field: PDUField, maxLength: Int) throws(SMPPDecodingError) -> String {
        try self.readSMPPCStringAndLength(field, maxLength: maxLength).value
    }

    /// Reads a C-Octet String and returns it with its length in octets (without the NUL).
    @inline(__always)
    mutating func readSMPPCStringAndLength(
        _ field: PDUField,
        maxLength: Int
    ) throws(SMPPDecodingError) -> (value: String, length: Int) {
        let readable = self.readableBytes
        guard readable > 0 else { throw SMPPDecodingError(.truncated(field)) }
        let limit = Swift.min(maxLength, readable)
        let length: Int? = self.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < limit {
                if bytes[index] == 0 { return index }
                index &+= 1
            }
            return nil
        }
        guard let length else {
            if limit == maxLength { throw SMPPDecodingError(.valueTooLong(field, maximum: maxLength)) }
            throw SMPPDecodingError(.missingTerminator(field))
        }
        let value: String
        if length == 0 {
            value = ""
        } else {
            value = self.withUnsafeReadableBytes { bytes in
                String(decodingSMPPOctets: UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
            }
        }
        self.moveReaderIndex(forwardBy: length + 1)
        return (value, length)
    }

    /// Reads a time field: NULL or exactly 16 characters plus NUL.
    @inline(__always)
    mutating func readSMPPTime(_ field: PDUField) throws(SMPPDecodingError) -> String {
        let (value, length) = try self.readSMPPCStringAndLength(field, maxLength: 17)
        guard length == 0 || length == 16 else { throw SMPPDecodingError(.invalidTimeLength(field, length: length)) }
        return value
    }

    /// Reads `addr_ton`, `addr_npi` and the address text.
    @inline(__always)
    mutating func readSMPPAddress(_ field: PDUField, maxLength: Int) throws(SMPPDecodingError) -> Address {
        let ton = try self.readSMPPInteger(field, as: UInt8.self)
        let npi = try self.readSMPPInteger(field, as: UInt8.self)
        let value = try self.readSMPPCString(field, maxLength: maxLength)
        return Address(ton: TypeOfNumber(rawValue: ton), npi: NumberingPlan(rawValue: npi), value)
    }

    /// Reads `sm_length` and `short_message` (a zero-copy slice of the body).
    @inline(__always)
    mutating func readSMPPShortMessage() throws(SMPPDecodingError) -> ByteBuffer {
        let length = Int(try self.readSMPPInteger(.smLength, as: UInt8.self))
        guard let slice = self.readSlice(length: length) else {
            throw SMPPDecodingError(.shortMessageBeyondBody(smLength: length, remaining: self.readableBytes))
        }
        return slice
    }

    /// Reads TLVs until the body is consumed. Values are zero-copy slices of the body. A lenient
    /// decoder ignores zero padding after the last TLV (see ``FieldLimits/isPadding(_:)``).
    @inline(__always)
    mutating func readSMPPTLVs(_ limits: FieldLimits) throws(SMPPDecodingError) -> TLVs {
        guard self.readableBytes > 0 else { return TLVs() }
        var tlvs: [TLV] = []
        tlvs.reserveCapacity(self.countSMPPTLVs())
        while self.readableBytes > 0 {
            if self.readableBytes < 4, limits.isPadding(self.readableBytesView) {
                self.moveReaderIndex(forwardBy: self.readableBytes)
                break
            }
            guard let (rawTag, length) = self.readMultipleIntegers(as: (UInt16, UInt16).self) else {
                throw SMPPDecodingError(.truncatedTLVHeader(remaining: self.readableBytes))
            }
            let tag = TLVTag(rawValue: rawTag)
            guard let value = self.readSlice(length: Int(length)) else {
                throw SMPPDecodingError(
                    .tlvLengthBeyondBody(tag, length: Int(length), remaining: self.readableBytes)
                )
            }
            guard tag.isValidLength(Int(length)) else {
                throw SMPPDecodingError(.invalidTLVLength(tag, length: Int(length)))
            }
            tlvs.append(TLV(tag: tag, value: value))
        }
        return TLVs(tlvs)
    }

    /// The number of TLV headers in the readable bytes (a quick pre-scan so the TLV list is allocated once).
    @inline(__always)
    func countSMPPTLVs() -> Int {
        self.withUnsafeReadableBytes { bytes in
            var count = 0
            var offset = 0
            while offset + 4 <= bytes.count {
                count &+= 1
                offset &+= 4 &+ (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
            }
            return count
        }
    }

    // MARK: Encoding

    /// Writes a C-Octet String, checking its maximum (including NUL) and that it holds no NUL.
    /// Scalars U+F780…U+F7FF are written as the single octets they stand for (see `String(smppOctets:)`).
    @inline(__always)
    mutating func writeSMPPCString(_ value: String, _ field: PDUField, maxLength: Int) throws(SMPPEncodingError) {
        var value = value
        let ok = value.withSMPPOctets { bytes -> SMPPEncodingError.Kind? in
            if bytes.count >= maxLength {
                return .valueTooLong(field, length: bytes.count, maximum: maxLength)
            }
            if bytes.contains(0) { return .containsNUL(field) }
            self.writeBytes(bytes)
            return nil
        }
        if let kind = ok { throw SMPPEncodingError(kind) }
        self.writeInteger(UInt8(0))
    }

    @inline(__always)
    mutating func writeSMPPTime(_ value: String, _ field: PDUField) throws(SMPPEncodingError) {
        let length = value.smppOctetCount
        guard length == 0 || length == 16 else {
            throw SMPPEncodingError(.invalidTimeLength(field, length: length))
        }
        try self.writeSMPPCString(value, field, maxLength: 17)
    }

    @inline(__always)
    mutating func writeSMPPAddress(_ address: Address, _ field: PDUField, maxLength: Int) throws(SMPPEncodingError) {
        self.writeMultipleIntegers(address.ton.rawValue, address.npi.rawValue)
        try self.writeSMPPCString(address.value, field, maxLength: maxLength)
    }

    @inline(__always)
    mutating func writeSMPPShortMessage(_ message: ByteBuffer) throws(SMPPEncodingError) {
        let length = message.readableBytes
        guard length <= 254 else { throw SMPPEncodingError(.shortMessageTooLong(length: length)) }
        self.writeInteger(UInt8(length))
        var message = message
        self.writeBuffer(&message)
    }

    @inline(__always)
    mutating func writeSMPPTLVs(_ tlvs: TLVs) throws(SMPPEncodingError) {
        for tlv in tlvs {
            let length = tlv.value.readableBytes
            guard length <= Int(UInt16.max) else { throw SMPPEncodingError(.tlvTooLong(tlv.tag, length: length)) }
            self.writeMultipleIntegers(tlv.tag.rawValue, UInt16(length))
            var value = tlv.value
            self.writeBuffer(&value)
        }
    }
}
