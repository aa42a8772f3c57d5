internal import DequeModule
internal import Logging
internal import NIOCore
internal import SMPP

/// One SMPP client connection: translates channel events into ``ESMESessionStateMachine`` events
/// and carries out its actions — nothing else. Runs on its channel's event loop.
final class ClientSession: ChannelInboundHandler {
    typealias InboundIn = SMPPFrameDecoder.Output
    typealias OutboundOut = SMPPFrame
    typealias Pending = SMPPConnector.Pending

    let slot: Int
    /// This connection's id in ``InboundEvent/connection``.
    let connection: UInt64
    private let connector: SMPPConnector
    private var machine: ESMESessionStateMachine<Pending>
    private var logger: Logger
    private var context: ChannelHandlerContext?
    private var handle: ClientSessionHandle?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// Inbound deliver_sm / data_sm awaiting the application's acknowledgement.
    private var unacknowledged: [UInt32: CommandID] = [:]
    /// Their deadlines in arrival order (every one has the same timeout, so the order is the
    /// deadlines' order). One timer serves them all: a task scheduled per message costs a search of
    /// the event loop's timer heap at every acknowledgement. Acknowledged entries are skipped when
    /// they reach the front.
    private var acknowledgementDeadlines: Deque<(sequenceNumber: UInt32, deadline: NIODeadline)> = []
    private var acknowledgementTimer: Scheduled<Void>?
    private var closeReason: String?
    private var flushScheduled = false
    /// Whether the pool dispatches to this session: from the bind until ``leavePool()``.
    private var inPool = false

    init(
        slot: Int,
        connector: SMPPConnector,
        configuration: ESMESessionStateMachine<Pending>.Configuration,
        logger: Logger
    ) {
        self.slot = slot
        self.connection = UInt64.random(in: 1...UInt64.max)
        self.connector = connector
        self.machine = ESMESessionStateMachine(configuration: configuration, now: .now())
        self.logger = logger
        self.logger[metadataKey: "smpp.session"] = "\(slot)"
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.handle = ClientSessionHandle(session: self, eventLoop: context.eventLoop)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.connector.sessionConnected(slot: self.slot, handle: self.handle!)
        let bind = self.machine.connected(now: .now())
        context.writeAndFlush(self.wrapOutboundOut(bind), promise: nil)
        self.armTimer()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now()
        switch self.unwrapInboundIn(data) {
        case .frame(let frame):
            self.perform(self.machine.frameReceived(frame, now: now), context: context)
        case .malformed(let error):
            self.logger.notice("malformed PDU from SMSC", metadata: ["error": "\(error)"])
            self.perform(self.machine.malformedReceived(error, now: now), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        self.armTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.acknowledgementTimer?.cancel()
        self.acknowledgementTimer = nil
        self.unacknowledged = [:]
        self.acknowledgementDeadlines = []
        self.leavePool()
        let (failed, error) = self.machine.connectionClosed()
        for pending in failed {
            self.connector.completed(slot: self.slot, pending: pending, outcome: .failure(error))
        }
        self.context = nil
        self.connector.sessionClosed(slot: self.slot, reason: self.closeReason ?? "\(error)")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.leavePool()
        if let error = error as? SMPPDecodingError, error.isFatal {
            self.closeReason = "\(error)"
            self.logger.warning("framing error from SMSC, closing", metadata: ["error": "\(error)"])
            let nack = SMPPFrame(
                .genericNack,
                sequenceNumber: error.header?.sequenceNumber ?? 0,
                commandStatus: error.commandStatus
            )
            context.writeAndFlush(self.wrapOutboundOut(nack)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
            return
        }
        self.closeReason = "\(error)"
        self.logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Actions

    private func perform(_ action: ESMESessionStateMachine<Pending>.ReceiveAction, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .write(let frame):
            context.write(self.wrapOutboundOut(frame), promise: nil)
        case .bound(let response):
            self.logger.info("bound", metadata: ["smpp.smsc": "\(response.systemID)"])
            self.inPool = true
            self.connector.sessionBound(slot: self.slot, handle: self.handle!)
        case .bindFailed(let error):
            self.closeReason = "\(error)"
            self.connector.bindFailed(slot: self.slot, error: error)
            context.close(promise: nil)
        case .succeed(let pending, let frame):
            self.connector.completed(slot: self.slot, pending: pending, outcome: .response(frame))
        case .succeedThenUnbind(let pending, let frame, let unbind):
            self.connector.completed(slot: self.slot, pending: pending, outcome: .response(frame))
            context.writeAndFlush(self.wrapOutboundOut(unbind), promise: nil)
        case .fail(let pending, let error):
            self.connector.completed(slot: self.slot, pending: pending, outcome: .failure(error))
        case .failThenUnbind(let pending, let error, let unbind):
            self.connector.completed(slot: self.slot, pending: pending, outcome: .failure(error))
            context.writeAndFlush(self.wrapOutboundOut(unbind), promise: nil)
        case .deliver(let frame):
            self.deliver(frame, context: context)
        case .unboundByPeer(let response, let failed):
            self.closeReason = "unbound by the SMSC"
            self.leavePool()
            for pending in failed {
                self.connector.completed(slot: self.slot, pending: pending, outcome: .failure(.unboundByPeer))
            }
            context.writeAndFlush(self.wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .close:
            // The unbind was answered (or, unbinding, the session has nothing left to wait for).
            self.closeReason = self.closeReason ?? "unbound"
            context.close(promise: nil)
        }
    }

    private func deliver(_ frame: SMPPFrame, context: ChannelHandlerContext) {
        guard frame.commandID != .alertNotification else {
            self.connector.inbound(slot: self.slot, connection: self.connection, frame: frame, acknowledgement: nil)
            return
        }
        let sequenceNumber = frame.sequenceNumber
        self.unacknowledged[sequenceNumber] = frame.commandID
        self.acknowledgementDeadlines.append(
            (sequenceNumber, .now() + self.connector.configuration.inboundAcknowledgementTimeout)
        )
        if self.acknowledgementTimer == nil { self.armAcknowledgementTimer(context) }
        self.connector.inbound(
            slot: self.slot,
            connection: self.connection,
            frame: frame,
            acknowledgement: InboundAcknowledgement(session: self.handle!, sequenceNumber: sequenceNumber)
        )
    }

    /// Takes this session out of the pool's dispatch, once, before its outstanding requests fail: each
    /// failure lets the pool dispatch again, and queued work must go to other sessions (or wait), never
    /// back to one that is going.
    private func leavePool() {
        guard self.inPool else { return }
        self.inPool = false
        self.connector.sessionClosing(slot: self.slot)
    }

    // MARK: Commands from the connector

    func send(_ pendings: [Pending]) {
        guard let context = self.context else {
            // Closed before they arrived: the pool counts them no more.
            self.connector.requeue(slot: self.slot, pendings: pendings, because: .closed)
            return
        }
        let now = NIODeadline.now()
        var refused: [Pending] = []
        for pending in pendings {
            switch self.machine.sendRequest(pending.pdu, for: pending, now: now) {
            case .write(let frame):
                context.write(self.wrapOutboundOut(frame)).assumeIsolated().whenFailure { [self] error in
                    self.writeFailed(sequenceNumber: frame.sequenceNumber, error: error)
                }
            case .reject:
                refused.append(pending)
            }
        }
        if !refused.isEmpty { self.refused(refused, context: context) }
        self.flushSoon(context)
        self.armTimer()
    }

    /// The machine refused submits the pool dispatched here: the session is closing (it left the pool
    /// already, unless the pool's dispatch crossed its leaving) or — a bug — the pool's count of this
    /// session's requests disagrees with the machine's. Either way the session takes no more.
    private func refused(_ pendings: [Pending], context: ChannelHandlerContext) {
        if self.machine.isBound {
            self.logger.error(
                "session refused submits while bound, closing it",
                metadata: ["in_flight": "\(self.machine.outstandingCount)"]
            )
            self.closeReason = "refused submits while bound"
            context.close(promise: nil)
        }
        self.leavePool()
        self.connector.requeue(slot: self.slot, pendings: pendings, because: .closing)
    }

    /// Flushes after the tasks already queued on the event loop, so that submits handed over one by
    /// one from many callers share one write syscall.
    private func flushSoon(_ context: ChannelHandlerContext) {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    /// A request never reached the SMSC. The encoder refusing it fails only that request (permanently);
    /// an I/O failure (the connection closed under pending writes) fails it retryably and ends the session.
    private func writeFailed(sequenceNumber: UInt32, error: any Error) {
        guard let context = self.context else { return }
        let action = self.machine.writeFailed(sequenceNumber: sequenceNumber, error: error)
        guard error is SMPPEncodingError else {
            self.closeReason = self.closeReason ?? "write failed: \(error)"
            self.leavePool()
            self.perform(action, context: context)
            context.close(promise: nil)
            return
        }
        self.logger.warning("could not encode request", metadata: ["error": "\(error)"])
        self.perform(action, context: context)
    }

    func acknowledge(sequenceNumber: UInt32, status: CommandStatus) {
        guard let commandID = self.unacknowledged.removeValue(forKey: sequenceNumber), let context = self.context else {
            return
        }
        let response: PDU = commandID == .dataSM ? .dataSMResp(DataSMResponse()) : .deliverSMResp(DeliverSMResponse())
        context.write(
            self.wrapOutboundOut(SMPPFrame(response, sequenceNumber: sequenceNumber, commandStatus: status)),
            promise: nil
        )
        // Acknowledgements of a batch of receipts come together or one by one: one write syscall for them all.
        self.flushSoon(context)
    }

    /// Answers, with a temporary error, inbound messages the application did not acknowledge in
    /// time (the SMSC delivers them again), then waits for the next deadline.
    private func armAcknowledgementTimer(_ context: ChannelHandlerContext) {
        while let first = self.acknowledgementDeadlines.first, self.unacknowledged[first.sequenceNumber] == nil {
            self.acknowledgementDeadlines.removeFirst()
        }
        guard let first = self.acknowledgementDeadlines.first else {
            self.acknowledgementTimer = nil
            return
        }
        self.acknowledgementTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: first.deadline) {
            [self] in
            let now = NIODeadline.now()
            while let entry = self.acknowledgementDeadlines.first, entry.deadline <= now {
                self.acknowledgementDeadlines.removeFirst()
                guard self.unacknowledged[entry.sequenceNumber] != nil else { continue }
                self.logger.warning(
                    "inbound message not acknowledged in time",
                    metadata: ["smpp.sequence_number": "\(entry.sequenceNumber)"]
                )
                self.acknowledge(sequenceNumber: entry.sequenceNumber, status: .temporaryAppError)
            }
            guard let context = self.context else { return }
            self.armAcknowledgementTimer(context)
        }
    }

    func unbind() {
        guard let context = self.context else { return }
        switch self.machine.unbindRequested(now: .now()) {
        case .write(let unbind):
            context.writeAndFlush(self.wrapOutboundOut(unbind), promise: nil)
        case .wait:
            break
        case .close:
            context.close(promise: nil)
        }
        self.armTimer()
    }

    func close() {
        self.context?.close(promise: nil)
    }

    // MARK: Timer

    private func armTimer() {
        guard let context = self.context, let next = self.machine.nextDeadline else { return }
        if let scheduled = self.timerDeadline, scheduled <= next, self.timer != nil { return }
        self.timer?.cancel()
        self.timerDeadline = next
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: next) { [self] in
            self.timer = nil
            self.timerDeadline = nil
            self.timerFired()
        }
    }

    private func timerFired() {
        guard let context = self.context else { return }
        let action = self.machine.timerFired(now: .now())
        if action.close != nil { self.leavePool() }
        if !action.timedOut.isEmpty {
            // One line for all the requests of this moment: a silent SMSC times out a whole window.
            self.logger.warning(
                "no response from the SMSC in time; the requests fail retryably",
                metadata: ["requests": "\(action.timedOut.count)"]
            )
        }
        for pending in action.timedOut {
            self.connector.completed(slot: self.slot, pending: pending, outcome: .failure(.responseTimeout))
        }
        for frame in action.writes { context.write(self.wrapOutboundOut(frame), promise: nil) }
        if !action.writes.isEmpty { context.flush() }
        if let reason = action.close {
            self.closeReason = "\(reason)"
            self.logger.info("closing session", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
            return
        }
        self.armTimer()
    }
}

/// Reaches a ``ClientSession`` from any thread: every call hops to its event loop.
final class ClientSessionHandle: Sendable {
    let eventLoop: any EventLoop
    /// The session's ``ClientSession/connection``.
    let connection: UInt64
    private let session: NIOLoopBound<ClientSession>

    init(session: ClientSession, eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.connection = session.connection
        self.session = NIOLoopBound(session, eventLoop: eventLoop)
    }

    private func run(_ body: @escaping @Sendable (ClientSession) -> Void) {
        if self.eventLoop.inEventLoop {
            body(self.session.value)
        } else {
            self.eventLoop.execute { body(self.session.value) }
        }
    }

    func send(_ pendings: [SMPPConnector.Pending]) {
        self.run { $0.send(pendings) }
    }

    func acknowledge(sequenceNumbers: [UInt32], status: CommandStatus) {
        self.run { session in
            for sequenceNumber in sequenceNumbers { session.acknowledge(sequenceNumber: sequenceNumber, status: status) }
        }
    }

    func unbind() {
        self.run { $0.unbind() }
    }

    func close() {
        self.run { $0.close() }
    }
}
