public import NIOCore

/// One optional parameter: a tag and its raw value octets.
///
/// The value is kept exactly as received, so decode → encode is byte-exact for every tag, including
/// vendor tags such as `0x2000` (cost) and `0x2001` (flags). Typed views are on ``TLVs``.
public struct TLV: Hashable, Sendable {
    public var tag: TLVTag
    /// The value octets (without tag and length).
    public var value: ByteBuffer

    @inlinable
    public init(tag: TLVTag, value: ByteBuffer) {
        self.tag = tag
        self.value = value
    }

    /// A TLV with raw octets.
    public init(tag: TLVTag, bytes: some Sequence<UInt8>) {
        self.init(tag: tag, value: ByteBuffer(bytes: bytes))
    }

    /// A one-octet integer TLV.
    public init(tag: TLVTag, uint8 value: UInt8) {
        self.init(tag: tag, bytes: CollectionOfOne(value))
    }

    /// A two-octet big-endian integer TLV.
    public init(tag: TLVTag, uint16 value: UInt16) {
        var buffer = ByteBuffer()
        buffer.writeInteger(value)
        self.init(tag: tag, value: buffer)
    }

    /// A four-octet big-endian integer TLV.
    public init(tag: TLVTag, uint32 value: UInt32) {
        var buffer = ByteBuffer()
        buffer.writeInteger(value)
        self.init(tag: tag, value: buffer)
    }

    /// A C-string TLV: the octets of `string` (``Swift/String/smppOctets``: UTF-8, with escaped
    /// octets restored) followed by a NUL.
    public init(tag: TLVTag, cString string: String) {
        var buffer = ByteBuffer()
        var string = string
        _ = string.withSMPPOctets { buffer.writeBytes($0) }
        buffer.writeInteger(UInt8(0))
        self.init(tag: tag, value: buffer)
    }

    /// The value as an unsigned integer when it is 1, 2 or 4 octets long, else `nil`.
    public var integerValue: UInt32? {
        switch self.value.readableBytes {
        case 1: self.value.getInteger(at: self.value.readerIndex, as: UInt8.self).map(UInt32.init)
        case 2: self.value.getInteger(at: self.value.readerIndex, as: UInt16.self).map(UInt32.init)
        case 4: self.value.getInteger(at: self.value.readerIndex, as: UInt32.self)
        default: nil
        }
    }

    /// The value as text: its octets up to the first NUL (or all of them when there is none),
    /// decoded as C-Octet String fields are (``Swift/String/init(smppOctets:)``), so an id reads the
    /// same here as in a submit_sm_resp.
    public var stringValue: String {
        let bytes = self.value.readableBytesView
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(smppOctets: bytes[bytes.startIndex..<end])
    }
}
