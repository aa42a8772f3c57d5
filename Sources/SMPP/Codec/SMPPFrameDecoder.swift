public import NIOCore

/// Splits a byte stream into SMPP PDUs and decodes them.
///
/// Malformed bodies do not stop the stream: they are passed on as ``Output/malformed(_:)`` so the
/// session can answer the request with the right error status. Framing errors (`command_length`
/// below 16 or above the maximum) are thrown: the session answers `generic_nack` and closes.
public struct SMPPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// What the decoder passes on.
    public enum Output: Hashable, Sendable {
        /// A well-formed PDU.
        case frame(SMPPFrame)
        /// A correctly framed PDU whose body could not be decoded; the error carries its header.
        case malformed(SMPPDecodingError)
    }

    public typealias InboundOut = Output

    public var maximumLength: Int
    public var strictFieldLengths: Bool

    /// - Parameters:
    ///   - maximumLength: the largest `command_length` accepted (default 66 560 octets).
    ///   - strictFieldLengths: whether C-Octet Strings must respect their specified maxima (default true).
    public init(maximumLength: Int = SMPPFrame.defaultMaximumLength, strictFieldLengths: Bool = true) {
        self.maximumLength = maximumLength
        self.strictFieldLengths = strictFieldLengths
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Output? {
        let frame: SMPPFrame?
        do {
            frame = try buffer.readSMPPFrame(
                maximumLength: self.maximumLength,
                strictFieldLengths: self.strictFieldLengths
            )
        } catch {
            if error.isFatal { throw error }
            return .malformed(error)
        }
        guard let frame else { return nil }
        return .frame(frame)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Output? {
        try self.decode(buffer: &buffer)
    }
}

/// Encodes ``SMPPFrame`` values. A value that does not fit the specification fails the write with
/// ``SMPPEncodingError``; nothing is truncated.
public struct SMPPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = SMPPFrame

    public init() {}

    public func encode(data: SMPPFrame, out: inout ByteBuffer) throws {
        try out.writeSMPPFrame(data)
    }
}
