public import NIOCore

/// Writes ``SMPPFrame`` values as octets. A value that does not fit the specification fails its own
/// write promise with ``SMPPEncodingError`` and nothing is written; later writes are unaffected.
///
/// Prefer this to `MessageToByteHandler(SMPPFrameEncoder())`, which stops encoding for good after
/// the first error.
public final class SMPPFrameEncoderHandler: ChannelOutboundHandler, Sendable {
    public typealias OutboundIn = SMPPFrame
    public typealias OutboundOut = ByteBuffer

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = Self.unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try buffer.writeSMPPFrame(frame)
        } catch {
            promise?.fail(error)
            return
        }
        context.write(Self.wrapOutboundOut(buffer), promise: promise)
    }
}
