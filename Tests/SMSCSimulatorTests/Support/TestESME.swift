import DequeModule
import NIOCore
import NIOPosix
import NIOSSL
import SMPP
import Synchronization

/// A bare ESME for tests: our codec over a real TCP (or TLS) connection, every received frame kept
/// in an inbox that tests wait on. deliver_sm and enquire_link are answered automatically unless
/// the test says otherwise.
final class TestESME: Sendable {
    struct Timeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(self.what)" }
    }

    struct Closed: Error {}

    let channel: any Channel
    private let inbox: Inbox
    private let sequenceNumbers = Mutex(SequenceNumbers())

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects to `port` on loopback.
    ///
    /// - Parameters:
    ///   - deliverResponse: the status to answer each deliver_sm / data_sm with; `nil` leaves it unanswered.
    ///   - answersEnquireLink: whether enquire_link from the simulator is answered.
    static func connect(
        port: Int,
        tls: NIOSSLContext? = nil,
        answersEnquireLink: Bool = true,
        deliverResponse: @escaping @Sendable (SMPPFrame) -> CommandStatus? = { _ in .ok }
    ) async throws -> TestESME {
        let inbox = Inbox(answersEnquireLink: answersEnquireLink, deliverResponse: deliverResponse)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: "localhost")
                        )
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMPPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(SMPPFrameEncoder()))
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestESME(channel: channel, inbox: inbox)
    }

    /// Connects, runs `body`, and closes.
    static func with<T>(
        port: Int,
        tls: NIOSSLContext? = nil,
        answersEnquireLink: Bool = true,
        deliverResponse: @escaping @Sendable (SMPPFrame) -> CommandStatus? = { _ in .ok },
        _ body: (TestESME) async throws -> T
    ) async throws -> T {
        let esme = try await connect(
            port: port,
            tls: tls,
            answersEnquireLink: answersEnquireLink,
            deliverResponse: deliverResponse
        )
        do {
            let result = try await body(esme)
            try? await esme.channel.close()
            return result
        } catch {
            try? await esme.channel.close()
            throw error
        }
    }

    func nextSequenceNumber() -> UInt32 {
        self.sequenceNumbers.withLock { $0.next() }
    }

    /// Sends a request and returns its sequence number.
    @discardableResult
    func send(_ pdu: PDU, sequenceNumber: UInt32? = nil) async throws -> UInt32 {
        let sequenceNumber = sequenceNumber ?? self.nextSequenceNumber()
        try await self.channel.writeAndFlush(SMPPFrame(pdu, sequenceNumber: sequenceNumber))
        return sequenceNumber
    }

    /// Sends raw octets, bypassing the encoder.
    func sendRaw(_ bytes: [UInt8]) async throws {
        try await self.channel.pipeline.context(handlerType: MessageToByteHandler<SMPPFrameEncoder>.self)
            .flatMap { context in
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: promise)
                return promise.futureResult
            }.get()
    }

    /// Sends a request and waits for the response with its sequence number.
    func request(_ pdu: PDU, timeout: Duration = .seconds(5)) async throws -> SMPPFrame {
        let sequenceNumber = try await self.send(pdu)
        return try await self.frame(timeout: timeout, "response to \(pdu.commandID) #\(sequenceNumber)") {
            $0.sequenceNumber == sequenceNumber && $0.commandID.isResponse
        }
    }

    /// Binds and expects success.
    @discardableResult
    func bind(
        _ type: BindType = .transceiver,
        systemID: String = "esme",
        password: String = "secret"
    ) async throws -> SMPPFrame {
        try await self.request(type.request(Bind(systemID: systemID, password: password)))
    }

    /// Waits for the next output (frame or malformed) matching `predicate`, removing it from the inbox.
    func output(
        timeout: Duration = .seconds(5),
        _ what: String,
        where predicate: @escaping @Sendable (SMPPFrameDecoder.Output) -> Bool
    ) async throws -> SMPPFrameDecoder.Output {
        try await self.inbox.next(matching: predicate, timeout: timeout, eventLoop: self.channel.eventLoop, what: what)
    }

    /// Waits for the next frame matching `predicate`.
    func frame(
        timeout: Duration = .seconds(5),
        _ what: String,
        where predicate: @escaping @Sendable (SMPPFrame) -> Bool
    ) async throws -> SMPPFrame {
        let output = try await self.output(timeout: timeout, what) { output in
            if case .frame(let frame) = output { return predicate(frame) }
            return false
        }
        guard case .frame(let frame) = output else { preconditionFailure() }
        return frame
    }

    /// Waits for the next deliver_sm.
    func deliverSM(timeout: Duration = .seconds(5)) async throws -> (frame: SMPPFrame, message: DeliverSM) {
        let frame = try await self.frame(timeout: timeout, "deliver_sm") { $0.commandID == .deliverSM }
        guard case .deliverSM(let message) = frame.pdu else { preconditionFailure() }
        return (frame, message)
    }

    /// Every frame received so far and not yet taken, without waiting.
    func drain() -> [SMPPFrameDecoder.Output] {
        self.inbox.drain()
    }

    /// Waits until the connection is closed by the peer.
    func closed(timeout: Duration = .seconds(5)) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.channel.closeFuture.get()
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let closed = try await group.next()!
            group.cancelAll()
            if !closed { throw Timeout(what: "the connection to close") }
        }
    }

    var isActive: Bool { self.channel.isActive }
}

/// Frames received, with waiters.
final class Inbox: Sendable {
    private struct Waiter {
        var id: Int
        var predicate: @Sendable (SMPPFrameDecoder.Output) -> Bool
        var continuation: CheckedContinuation<SMPPFrameDecoder.Output, any Error>
    }

    private struct State {
        var received: Deque<SMPPFrameDecoder.Output> = []
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var closed = false
    }

    private let state = Mutex(State())
    let answersEnquireLink: Bool
    let deliverResponse: @Sendable (SMPPFrame) -> CommandStatus?

    init(answersEnquireLink: Bool, deliverResponse: @escaping @Sendable (SMPPFrame) -> CommandStatus?) {
        self.answersEnquireLink = answersEnquireLink
        self.deliverResponse = deliverResponse
    }

    func receive(_ output: SMPPFrameDecoder.Output) {
        let waiter: Waiter? = self.state.withLock { state in
            if let index = state.waiters.firstIndex(where: { $0.predicate(output) }) {
                return state.waiters.remove(at: index)
            }
            state.received.append(output)
            return nil
        }
        waiter?.continuation.resume(returning: output)
    }

    func close() {
        let waiters = self.state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: TestESME.Closed()) }
    }

    func drain() -> [SMPPFrameDecoder.Output] {
        self.state.withLock { state in
            defer { state.received = [] }
            return Array(state.received)
        }
    }

    func next(
        matching predicate: @escaping @Sendable (SMPPFrameDecoder.Output) -> Bool,
        timeout: Duration,
        eventLoop: any EventLoop,
        what: String
    ) async throws -> SMPPFrameDecoder.Output {
        try await withCheckedThrowingContinuation { continuation in
            let registered: Int? = self.state.withLock { state in
                if let index = state.received.firstIndex(where: predicate) {
                    let output = state.received.remove(at: index)
                    continuation.resume(returning: output)
                    return nil
                }
                if state.closed {
                    continuation.resume(throwing: TestESME.Closed())
                    return nil
                }
                let id = state.nextWaiter
                state.nextWaiter += 1
                state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                return id
            }
            guard let registered else { return }
            let nanoseconds =
                timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
                let waiter: Waiter? = self.state.withLock { state in
                    guard let index = state.waiters.firstIndex(where: { $0.id == registered }) else { return nil }
                    return state.waiters.remove(at: index)
                }
                waiter?.continuation.resume(throwing: TestESME.Timeout(what: what))
            }
        }
    }
}

/// Feeds the inbox, and answers what an ESME must answer.
final class InboxHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = SMPPFrameDecoder.Output
    typealias OutboundOut = SMPPFrame

    let inbox: Inbox

    init(inbox: Inbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let output = self.unwrapInboundIn(data)
        if case .frame(let frame) = output {
            switch frame.pdu {
            case .enquireLink where self.inbox.answersEnquireLink:
                context.writeAndFlush(
                    self.wrapOutboundOut(SMPPFrame(.enquireLinkResp, sequenceNumber: frame.sequenceNumber)),
                    promise: nil
                )
            case .deliverSM, .dataSM:
                if let status = self.inbox.deliverResponse(frame) {
                    let response: PDU =
                        frame.commandID == .deliverSM
                        ? .deliverSMResp(DeliverSMResponse()) : .dataSMResp(DataSMResponse())
                    context.writeAndFlush(
                        self.wrapOutboundOut(
                            SMPPFrame(response, sequenceNumber: frame.sequenceNumber, commandStatus: status)
                        ),
                        promise: nil
                    )
                }
            case .unbind:
                context.writeAndFlush(
                    self.wrapOutboundOut(SMPPFrame(.unbindResp, sequenceNumber: frame.sequenceNumber)),
                    promise: nil
                )
            default:
                break
            }
        }
        self.inbox.receive(output)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.inbox.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
