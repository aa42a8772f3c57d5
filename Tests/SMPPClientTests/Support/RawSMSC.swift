import NIOCore
import NIOPosix
import SMPP
import Synchronization

/// A bare SMSC on loopback for what the simulator cannot do (send data_sm or alert_notification,
/// go silent, stop reading): the test decides the reply to every PDU, sees every PDU received, and
/// can send PDUs of its own on the latest connection.
final class RawSMSC: Sendable {
    /// What to do with a received PDU.
    enum Reply: Sendable {
        case answer(SMPPFrame)
        /// These octets as they are, for what the encoder refuses to write (an over-long id, say).
        case answerOctets([UInt8])
        case nothing
        /// Read nothing more on this connection (the peer's writes pile up).
        case stopReading
    }

    /// A PDU received on connection `connection` (0 for the first).
    struct Received: Sendable {
        var connection: Int
        var frame: SMPPFrame
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = SMPPFrameDecoder.Output
        typealias OutboundOut = ByteBuffer

        let connection: Int
        let smsc: RawSMSC

        init(connection: Int, smsc: RawSMSC) {
            self.connection = connection
            self.smsc = smsc
        }

        func channelActive(context: ChannelHandlerContext) {
            self.smsc.state.withLock { $0.channels.append(context.channel) }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .frame(let frame) = Self.unwrapInboundIn(data) else { return }
            self.smsc.state.withLock { $0.received.append(Received(connection: self.connection, frame: frame)) }
            switch self.smsc.reply(self.connection, frame) {
            case .answer(let answer):
                context.writeAndFlush(Self.wrapOutboundOut(RawSMSC.encode(answer)), promise: nil)
            case .answerOctets(let octets):
                context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: octets)), promise: nil)
            case .nothing:
                break
            case .stopReading:
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            }
        }
    }

    private struct State {
        var received: [Received] = []
        var channels: [any Channel] = []
        var connections = 0
    }

    private let state = Mutex(State())
    private let reply: @Sendable (_ connection: Int, _ frame: SMPPFrame) -> Reply
    private let server: Mutex<(any Channel)?> = Mutex(nil)

    /// - Parameter reply: the reply to each PDU; ``standardReply(to:)`` by default.
    init(
        reply: @escaping @Sendable (_ connection: Int, _ frame: SMPPFrame) -> Reply = { RawSMSC.standardReply(to: $1) }
    ) {
        self.reply = reply
    }

    /// Listens on a free loopback port.
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = self.state.withLock { state in
                        defer { state.connections += 1 }
                        return state.connections
                    }
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(ByteToMessageHandler(SMPPFrameDecoder()))
                    try operations.addHandler(Handler(connection: connection, smsc: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        self.server.withLock { $0 = channel }
        return channel.localAddress!.port!
    }

    /// Every PDU received so far, in order.
    var received: [Received] { self.state.withLock { $0.received } }

    /// Connections accepted so far.
    var connections: Int { self.state.withLock { $0.connections } }

    /// Sends `frame` on the latest connection.
    func send(_ frame: SMPPFrame) async throws {
        try await self.send(octets: Self.encode(frame))
    }

    /// Sends these octets as they are on the latest connection, for what the encoder does not
    /// write (padding after the last field, say).
    func send(octets: ByteBuffer) async throws {
        let channel = try self.state.withLock { state in
            guard let channel = state.channels.last else { throw NoConnection() }
            return channel
        }
        try await channel.writeAndFlush(octets)
    }

    /// The octets of a frame the test built (it must encode).
    static func encode(_ frame: SMPPFrame) -> ByteBuffer {
        var buffer = ByteBuffer()
        try! buffer.writeSMPPFrame(frame)
        return buffer
    }

    /// Closes the latest connection (with a reset when it holds unread data).
    func closeConnection() async throws {
        let channel = try self.state.withLock { state in
            guard let channel = state.channels.last else { throw NoConnection() }
            return channel
        }
        try await channel.close()
    }

    func stop() async {
        let channels = self.state.withLock { $0.channels }
        for channel in channels { try? await channel.close() }
        try? await self.server.withLock { $0 }?.close()
    }

    struct NoConnection: Error {}

    /// An SMSC's usual answer: binds accepted (SMPP 3.4), enquire_link and unbind answered, submit_sm
    /// accepted with the message id `"id<sequence number>"`; nothing else answered.
    static func standardReply(to frame: SMPPFrame) -> Reply {
        if let (type, _) = frame.pdu.bindRequest {
            return .answer(
                SMPPFrame(
                    type.response(BindResponse(systemID: "raw", interfaceVersion: .v34)),
                    sequenceNumber: frame.sequenceNumber
                )
            )
        }
        switch frame.pdu {
        case .enquireLink:
            return .answer(SMPPFrame(.enquireLinkResp, sequenceNumber: frame.sequenceNumber))
        case .unbind:
            return .answer(SMPPFrame(.unbindResp, sequenceNumber: frame.sequenceNumber))
        case .submitSM:
            let response = SubmitSMResponse(messageID: "id\(frame.sequenceNumber)")
            return .answer(SMPPFrame(.submitSMResp(response), sequenceNumber: frame.sequenceNumber))
        default:
            return .nothing
        }
    }
}

/// Starts a ``RawSMSC``, runs `body` with it and its port, stops it.
func withRawSMSC<T>(
    reply: @escaping @Sendable (_ connection: Int, _ frame: SMPPFrame) -> RawSMSC.Reply = {
        RawSMSC.standardReply(to: $1)
    },
    _ body: (RawSMSC, Int) async throws -> T
) async throws -> T {
    let smsc = RawSMSC(reply: reply)
    let port = try await smsc.start()
    do {
        let result = try await body(smsc, port)
        await smsc.stop()
        return result
    } catch {
        await smsc.stop()
        throw error
    }
}
