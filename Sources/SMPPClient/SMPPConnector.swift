public import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
public import SMPP
public import ServiceLifecycle
import Synchronization

/// A pool of SMPP sessions to one SMSC account: submits with a window, a throughput limit and a
/// priority lane; receipts and inbound messages as a stream of events; sessions that reconnect and
/// fail over on their own.
///
/// Run it as a swift-service-lifecycle `Service` (`run()` connects, and on graceful shutdown stops
/// taking submits, waits for in-flight responses, unbinds), or call `start()` and `shutdown()`.
public final class SMPPConnector: Service, Sendable {
    typealias Waiter = SubmitWaiter
    typealias Pool = PoolStateMachine<Waiter>
    typealias Pending = Pool.Pending

    public let configuration: ConnectorConfiguration
    /// Receipts, inbound messages and alerts, in arrival order. Acknowledge receipts and messages.
    public let events: AsyncStream<InboundEvent>
    private let eventSink: AsyncStream<InboundEvent>.Continuation
    private let eventLoopGroup: any EventLoopGroup
    private let timerLoop: any EventLoop
    private let logger: Logger
    private let normalizer: MessageIDNormalizer
    /// What `auto` id matching learned from matched receipts (see ``receiptMatched(receiptedID:key:)``).
    private let idLearner = Mutex(MessageIDLearner())
    private let builder: SubmitBuilder
    private let sslContext: NIOSSLContext?
    private let metrics: ConnectorMetrics
    private let state: Mutex<State>

    struct State {
        var pool: Pool
        /// Sessions whose connection is up (binding or bound), by slot.
        var handles: [Int: ClientSessionHandle] = [:]
        var timerDeadline: NIODeadline?
        var reference: UInt16
        var started = false
        var gaugeTask: RepeatedTask?
    }

    /// - Throws: ``ConfigurationError`` naming the key of an invalid setting, or a TLS setup error.
    public init(
        configuration: ConnectorConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "smpp-connector"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.timerLoop = eventLoopGroup.next()
        var logger = logger
        logger[metadataKey: "smpp.connector"] = "\(configuration.name)"
        self.logger = logger
        self.normalizer = MessageIDNormalizer(mode: configuration.messageIDs)
        self.builder = configuration.submitBuilder
        self.sslContext =
            configuration.endpoints.contains(where: \.useTLS)
            ? try NIOSSLContext(configuration: configuration.tls) : nil
        self.metrics = ConnectorMetrics(connector: configuration.name, factory: metricsFactory)
        (self.events, self.eventSink) = AsyncStream.makeStream(of: InboundEvent.self)
        let settings = Pool.Settings(
            window: configuration.window,
            endpoints: configuration.endpoints.count,
            throughput: configuration.throughput,
            reconnectBackoff: configuration.reconnectBackoff,
            throttleBackoff: configuration.throttleBackoff,
            maxThrottleRetries: configuration.maxThrottleRetries,
            queueTimeout: configuration.queueTimeout,
            maxQueued: configuration.maxQueued
        )
        let pool = Pool(
            settings: settings,
            bindTypes: configuration.bindMode.slots(sessions: configuration.sessions),
            now: .now(),
            unitRandom: { Double.random(in: 0...1) }
        )
        self.state = Mutex(State(pool: pool, reference: UInt16.random(in: 0...UInt16.max)))
    }

    // MARK: Lifecycle

    /// Connects every session. Returns at once; sessions bind in the background.
    public func start() {
        let connects = self.state.withLock { state -> [Pool.SlotAction] in
            guard !state.started else { return [] }
            state.started = true
            return state.pool.start()
        }
        guard !connects.isEmpty else { return }
        self.logger.info("starting", metadata: ["sessions": "\(connects.count)"])
        let gauges = self.timerLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            self.state.withLock { self.recordGauges($0) }
        }
        self.state.withLock { $0.gaugeTask = gauges }
        self.perform(connects)
    }

    /// Serves until graceful shutdown, then ``shutdown()``.
    public func run() async throws {
        self.start()
        try? await gracefulShutdown()
        await self.shutdown()
    }

    /// Stops taking submits (those still queued fail with ``SMPPClientError/shuttingDown``), lets
    /// in-flight submits finish up to the unbind timeout, unbinds every session, and ends ``events``.
    public func shutdown() async {
        let (queued, handles) = self.state.withLock { state in
            let (queued, _) = state.pool.drain()
            return (queued, Array(state.handles.values))
        }
        for pending in queued { pending.waiter.resume(throwing: SMPPClientError.shuttingDown) }
        for handle in handles { handle.unbind() }
        // Canceled (past the application's shutdown deadline): close at once.
        let deadline = NIODeadline.now() + self.configuration.unbindTimeout + .seconds(2)
        while self.state.withLock({ !$0.handles.isEmpty }), NIODeadline.now() < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for handle in self.state.withLock({ Array($0.handles.values) }) { handle.close() }
        self.state.withLock { state in
            state.pool.stopped()
            self.recordGauges(state)
            state.gaugeTask?.cancel()
        }
        self.eventSink.finish()
        self.logger.info("stopped")
    }

    /// Gives back every submit still waiting for a session: each fails with
    /// ``SMPPClientError/shuttingDown`` (it never reached the SMSC). Submits sessions hold are
    /// answered as usual, and new ones are taken. For an application shutting down, so that it
    /// waits only for what is at the SMSC, not for a queue a throughput limit may drain slowly.
    public func handBackQueued() {
        let queued = self.state.withLock { state in
            let queued = state.pool.takeQueued()
            self.recordGauges(state)
            return queued
        }
        for pending in queued { pending.waiter.resume(throwing: SMPPClientError.shuttingDown) }
        if !queued.isEmpty { self.logger.info("queued submits handed back", metadata: ["count": "\(queued.count)"]) }
    }

    /// Stops sending (submits fail with a retryable ``SMPPClientError/unavailable(_:)``); sessions stay bound.
    public func pause() {
        self.state.withLock { $0.pool.pause() }
        self.logger.info("paused")
    }

    /// Resumes a paused connector, or clears a credentials alert and reconnects.
    public func resume() {
        let now = NIODeadline.now()
        let (connects, dispatch, wakeup) = self.state.withLock { state in
            let result = state.pool.resume(now: now)
            return (result.connects, self.handles(for: result.dispatch, in: state), Self.wakeupToArm(&state, now: now))
        }
        self.logger.info("resumed")
        self.perform(connects)
        self.send(dispatch)
        self.arm(wakeup)
    }

    // MARK: Submitting

    /// Sends one submit_sm (or data_sm) and returns when the SMSC answered.
    ///
    /// Waits (up to the queue timeout) for a bound session with window space and for the throughput
    /// limit; a throttled submit is resent first after the session's pause. Throws
    /// ``SMPPClientError``; see ``SMPPClientError/isRetryable``.
    public func submit(_ pdu: PDU, priority: SubmitPriority = .normal) async throws -> SubmitResult {
        try self.validate(pdu)
        return try await withCheckedThrowingContinuation { continuation in
            self.enqueue([(pdu, .continuation(continuation))], priority: priority)
        }
    }

    /// Sends one submit_sm.
    public func submit(_ message: SubmitSM, priority: SubmitPriority = .normal) async throws -> SubmitResult {
        try await self.submit(.submitSM(message), priority: priority)
    }

    /// Sends the parts of one message, queued together and in order; one result per part.
    public func submit(
        parts: [SubmitSM],
        priority: SubmitPriority = .normal
    ) async -> [Result<SubmitResult, SMPPClientError>] {
        await withCheckedContinuation { continuation in
            self.submit(parts: parts, priority: priority) { continuation.resume(returning: $0) }
        }
    }

    /// Sends the parts of one message, queued together and in order, and calls `completion` once
    /// with one result per part when every part has one — without a task per submit, for callers
    /// that send many messages at once (the bridge's dispatcher).
    ///
    /// `completion` runs where the last result was settled, often a session's event loop: it must
    /// be short and must not block. It runs before this returns when a part is refused up front
    /// (every part fails with that error), and when there are no parts.
    ///
    /// A part still waiting for a session at `sendBy` (a message's validity) is not sent: it fails
    /// with ``SMPPClientError/expired``, before the queue timeout.
    public func submit(
        parts: [SubmitSM],
        priority: SubmitPriority = .normal,
        sendBy: NIODeadline? = nil,
        completion: @escaping @Sendable ([Result<SubmitResult, SMPPClientError>]) -> Void
    ) {
        guard !parts.isEmpty else { return completion([]) }
        for part in parts {
            do {
                try self.validate(.submitSM(part))
            } catch {
                completion(parts.map { _ in .failure(error) })
                return
            }
        }
        let results = PartResults(count: parts.count, completion: completion)
        self.enqueue(
            parts.enumerated().map { index, part in
                (.submitSM(part), .callback { results.settle(index, $0) })
            },
            priority: priority,
            sendBy: sendBy
        )
    }

    /// Turns a message into submit_sm parts with this connector's defaults: TON/NPI, data_coding,
    /// the long-message method and maximum parts, registered_delivery. A text that needs more parts
    /// than allowed, or has a character its encoding cannot carry, is refused — never cut.
    public func makeParts(for message: OutgoingMessage) throws(SMPPClientError) -> [SubmitSM] {
        let reference = self.state.withLock { state in
            state.reference &+= 1
            return state.reference
        }
        do {
            return try self.builder.parts(for: message, reference: reference)
        } catch {
            throw .invalidMessage("\(error)")
        }
    }

    /// Sends a message (split into parts as needed) and returns one result per part; throws the
    /// first part's error. Use ``submit(parts:priority:)`` for per-part outcomes.
    public func send(_ message: OutgoingMessage, priority: SubmitPriority = .normal) async throws -> [SubmitResult] {
        let parts = try self.makeParts(for: message)
        return try await self.submit(parts: parts, priority: priority).map { try $0.get() }
    }

    /// Encodes once to refuse, up front, what the encoder would refuse.
    private func validate(_ pdu: PDU) throws(SMPPClientError) {
        var scratch = ByteBuffer()
        do {
            try scratch.writeSMPPFrame(SMPPFrame(pdu, sequenceNumber: 1))
        } catch {
            throw .invalidMessage("\(error)")
        }
    }

    private func enqueue(_ items: [(pdu: PDU, waiter: Waiter)], priority: SubmitPriority, sendBy: NIODeadline? = nil) {
        let now = NIODeadline.now()
        let (action, dispatch, wakeup) = self.state.withLock { state in
            let action = state.pool.enqueue(items, priority: priority, sendBy: sendBy, now: now)
            var dispatch = Sending()
            if case .dispatch(let pool) = action { dispatch = self.handles(for: pool, in: state) }
            return (action, dispatch, Self.wakeupToArm(&state, now: now))
        }
        if case .reject(let error) = action {
            for item in items { item.waiter.resume(throwing: error) }
            return
        }
        self.send(dispatch)
        self.arm(wakeup)
    }

    // MARK: Status

    /// A snapshot of the connector and each session.
    public func status() -> ConnectorStatus {
        self.state.withLock { state in
            let pool = state.pool
            let mode: String
            var alert: String?
            switch pool.mode {
            case .running: mode = "running"
            case .paused: mode = "paused"
            case .alert(let reason):
                mode = "alert"
                alert = reason
            case .draining: mode = "draining"
            case .stopped: mode = "stopped"
            }
            let sessions = pool.slots.map { slot in
                let slotState: String
                switch slot.state {
                case .idle: slotState = "idle"
                case .connecting: slotState = "connecting"
                case .bound: slotState = "bound"
                case .closing: slotState = "closing"
                case .waiting: slotState = "waiting"
                case .stopped: slotState = "stopped"
                }
                var endpoint: String?
                if case .connecting(let index) = slot.state { endpoint = "\(self.configuration.endpoints[index])" }
                if let index = slot.boundEndpoint { endpoint = "\(self.configuration.endpoints[index])" }
                return ConnectorStatus.Session(
                    id: slot.id,
                    bindType: slot.bindType,
                    state: slotState,
                    endpoint: endpoint,
                    inFlight: slot.inFlight,
                    window: self.configuration.window,
                    sent: slot.sent,
                    errors: slot.errors,
                    lastError: slot.lastError,
                    throttled: slot.pausedUntil.map { $0 > .now() } ?? false,
                    reconnects: slot.reconnects
                )
            }
            return ConnectorStatus(
                state: mode,
                alert: alert,
                name: self.configuration.name,
                sessions: sessions,
                queuedUrgent: pool.queuedUrgent,
                queuedNormal: pool.queuedNormal,
                learnedIDForm: self.normalizer.mode == .auto ? self.idLearner.withLock { $0.learned } : nil
            )
        }
    }

    // MARK: Events from sessions

    /// The ``InboundEvent/connection`` of every connection open now.
    public var openConnections: [UInt64] {
        self.state.withLock { $0.handles.values.map(\.connection) }
    }

    func sessionConnected(slot: Int, handle: ClientSessionHandle) {
        self.state.withLock { $0.handles[slot] = handle }
    }

    func sessionBound(slot: Int, handle: ClientSessionHandle) {
        let now = NIODeadline.now()
        let (dispatch, bound) = self.state.withLock { state in
            state.handles[slot] = handle
            let pool = state.pool.bound(slot: slot, now: now)
            return (self.handles(for: pool, in: state), state.pool.boundSessions)
        }
        self.metrics.sessionsBound.record(bound)
        self.send(dispatch)
    }

    func bindFailed(slot: Int, error: ESMESessionError) {
        let now = NIODeadline.now()
        self.metrics.bindFailures.increment()
        let action = self.state.withLock { $0.pool.bindFailed(slot: slot, error: error, now: now) }
        switch action {
        case .none:
            self.logger.warning("bind failed", metadata: ["smpp.session": "\(slot)", "error": "\(error)"])
        case .alert(let failing, let reason):
            self.logger.error(
                "credentials refused: connector in alert, not reconnecting",
                metadata: ["smpp.session": "\(slot)", "error": "\(error)"]
            )
            for pending in failing { pending.waiter.resume(throwing: SMPPClientError.unavailable(reason)) }
        }
    }

    /// A bound session is going; its outstanding submits fail next.
    func sessionClosing(slot: Int) {
        let bound = self.state.withLock { state in
            state.pool.closing(slot: slot)
            return state.pool.boundSessions
        }
        self.metrics.sessionsBound.record(bound)
    }

    func sessionClosed(slot: Int, reason: String) {
        let now = NIODeadline.now()
        let (action, wasBound, bound, wakeup) = self.state.withLock { state in
            state.handles[slot] = nil
            let wasBound = state.pool.slots[slot].hasBoundSession
            let action = state.pool.closed(slot: slot, reason: reason, now: now)
            let bound = state.pool.boundSessions
            return (action, wasBound, bound, Self.wakeupToArm(&state, now: now))
        }
        if wasBound {
            self.metrics.reconnects.increment()
            self.logger.info("session closed", metadata: ["smpp.session": "\(slot)", "reason": "\(reason)"])
        }
        self.metrics.sessionsBound.record(bound)
        self.perform([action])
        self.arm(wakeup)
    }

    func completed(slot: Int, pending: Pending, outcome: Pool.Outcome) {
        let now = NIODeadline.now()
        let (completion, dispatch, wakeup) = self.state.withLock { state in
            let completion = state.pool.completed(slot: slot, pending: pending, outcome: outcome, now: now)
            return (completion, self.handles(for: completion.dispatch, in: state), Self.wakeupToArm(&state, now: now))
        }
        if completion.throttled { self.metrics.throttled.increment() }
        if let resolution = completion.resolution { self.resolve(resolution, slot: slot, now: now) }
        self.send(dispatch)
        self.arm(wakeup)
    }

    /// A session handed submits back (see ``PoolStateMachine/Refusal``).
    func requeue(slot: Int, pendings: [Pending], because refusal: Pool.Refusal) {
        let now = NIODeadline.now()
        let (dispatch, wakeup) = self.state.withLock { state in
            let pool = state.pool.requeue(slot: slot, pendings: pendings, because: refusal, now: now)
            return (self.handles(for: pool, in: state), Self.wakeupToArm(&state, now: now))
        }
        self.send(dispatch)
        self.arm(wakeup)
    }

    /// The normalizer receipts are looked up with: the configured one, or the form `auto` learned.
    private var receiptNormalizer: MessageIDNormalizer {
        guard self.normalizer.mode == .auto else { return self.normalizer }
        return self.idLearner.withLock { $0.normalizer(for: self.normalizer) }
    }

    /// Tells the connector that a receipt whose id was `receiptedID` matched the submitted message
    /// stored under `key` (one of the event's ``InboundEvent/messageIDCandidates``). With
    /// ``MessageIDNormalizer/Mode/auto``, once enough receipts matched in one form, later receipts
    /// are looked up in that form only (``MessageIDLearner``): a receipt that overtakes its submit
    /// response then waits for it rather than matching an older message through a conversion.
    public func receiptMatched(receiptedID: String, key: String) {
        guard self.normalizer.mode == .auto else { return }
        guard let learned = self.idLearner.withLock({ $0.matched(receiptedID: receiptedID, key: key) }) else { return }
        self.logger.notice(
            "receipt ids learned: looking receipts up in one form from now on",
            metadata: ["smpp.message_ids": "\(learned.rawValue)"]
        )
    }

    func inbound(slot: Int, connection: UInt64, frame: SMPPFrame, acknowledgement: InboundAcknowledgement?) {
        var kind: InboundEvent.Kind = .message
        var candidates: [String] = []
        switch frame.pdu {
        case .deliverSM(let message):
            if message.isDeliveryReceipt {
                if let receipt = message.deliveryReceipt {
                    kind = .receipt(receipt)
                    candidates = self.receiptNormalizer.candidates(forReceipted: receipt.messageID)
                } else {
                    kind = .unreadableReceipt
                }
            }
        case .dataSM(let message):
            if message.isDeliveryReceipt {
                if let receipt = message.deliveryReceipt {
                    kind = .receipt(receipt)
                    candidates = self.receiptNormalizer.candidates(forReceipted: receipt.messageID)
                } else {
                    kind = .unreadableReceipt
                }
            }
        case .alertNotification(let alert):
            kind = .alert(alert)
        default:
            return
        }
        switch kind {
        case .receipt, .unreadableReceipt: self.metrics.receipts.increment()
        case .message: self.metrics.messages.increment()
        case .alert: self.metrics.alerts.increment()
        }
        self.eventSink.yield(
            InboundEvent(
                connector: self.configuration.name,
                session: slot,
                connection: connection,
                kind: kind,
                frame: frame,
                acknowledgement: acknowledgement,
                messageIDCandidates: candidates,
                smscDefaultAlphabet: self.configuration.dataCodings.smscDefaultAlphabet
            )
        )
    }

    // MARK: Carrying out pool actions

    /// A pool dispatch with each batch's session handle, taken under the lock.
    private struct Sending {
        var batches: [(handle: ClientSessionHandle?, slot: Int, pendings: [Pending])] = []
        var expired: [Pending] = []
    }

    private func handles(for dispatch: Pool.Dispatch, in state: State) -> Sending {
        Sending(batches: dispatch.batches.map { (state.handles[$0.slot], $0.slot, $0.pendings) }, expired: dispatch.expired)
    }

    /// Fails the submits whose deadline passed, and hands the others to their sessions.
    private func send(_ sending: Sending) {
        for pending in sending.expired { pending.waiter.resume(throwing: pending.expiry) }
        if !sending.expired.isEmpty { self.metrics.submitsFailed.increment(by: sending.expired.count) }
        for (handle, slot, pendings) in sending.batches {
            if let handle {
                handle.send(pendings)
            } else {
                self.requeue(slot: slot, pendings: pendings, because: .closing)
            }
        }
    }

    private func resolve(_ resolution: Pool.Resolution, slot: Int, now: NIODeadline) {
        let pending = resolution.pending
        switch resolution.result {
        case .success(let frame):
            var messageID = ""
            var tlvs = TLVs()
            switch frame.pdu {
            case .submitSMResp(let response), .dataSMResp(let response):
                messageID = response.messageID
                tlvs = response.tlvs
            case .submitMultiResp(let response):
                messageID = response.messageID
                tlvs = response.tlvs
            default:
                break
            }
            if messageID.isEmpty, case .submitSM(let submit) = pending.pdu, submit.registeredDelivery.receiptRequest != 0 {
                self.logger.warning(
                    "the SMSC accepted a submit without a message id: no receipt can be matched to it",
                    metadata: ["smpp.session": "\(slot)"]
                )
            }
            let latency = now - pending.enqueuedAt
            self.metrics.submitsOK.increment()
            self.metrics.submitDuration.recordNanoseconds(latency.nanoseconds)
            pending.waiter.resume(
                returning: SubmitResult(
                    messageID: messageID,
                    messageIDKey: self.normalizer.key(forSubmitted: messageID),
                    session: slot,
                    latency: .nanoseconds(latency.nanoseconds),
                    tlvs: tlvs
                )
            )
        case .failure(let error):
            if case .rejected = error {
                self.metrics.submitsRejected.increment()
            } else {
                self.metrics.submitsFailed.increment()
            }
            pending.waiter.resume(throwing: error)
        }
    }

    private func perform(_ actions: [Pool.SlotAction]) {
        for action in actions {
            if case .connect(let slot, let endpoint) = action { self.connect(slot: slot, endpoint: endpoint) }
        }
    }

    private func connect(slot: Int, endpoint index: Int) {
        let endpoint = self.configuration.endpoints[index]
        let bindType = self.state.withLock { $0.pool.slots[slot].bindType }
        let sessionConfiguration = ESMESessionStateMachine<Pending>.Configuration(
            bindType: bindType,
            bind: Bind(
                systemID: self.configuration.systemID,
                password: self.configuration.password,
                systemType: self.configuration.systemType,
                interfaceVersion: self.configuration.interfaceVersion,
                addressRange: self.configuration.addressRange
            ),
            window: self.configuration.window,
            bindTimeout: self.configuration.bindTimeout,
            responseTimeout: self.configuration.responseTimeout,
            enquireLinkInterval: self.configuration.enquireLinkInterval,
            enquireLinkTimeout: self.configuration.enquireLinkTimeout,
            unbindTimeout: self.configuration.unbindTimeout
        )
        let sslContext = endpoint.useTLS ? self.sslContext : nil
        let maximumLength = self.configuration.maximumPDULength
        let logger = self.logger
        let hostname = (try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port)) == nil ? endpoint.host : nil
        self.logger.debug("connecting", metadata: ["smpp.session": "\(slot)", "endpoint": "\(endpoint)"])
        ClientBootstrap(group: self.eventLoopGroup)
            .connectTimeout(self.configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let sslContext {
                        try operations.addHandler(
                            try NIOSSLClientHandler(context: sslContext, serverHostname: hostname)
                        )
                    }
                    // Lenient with what the SMSC writes: a C-string over its maximum whose NUL is in the
                    // PDU is read (an over-long message id refused would fail a submit the SMSC took,
                    // and it would go out again).
                    try operations.addHandler(
                        ByteToMessageHandler(SMPPFrameDecoder(maximumLength: maximumLength, strictFieldLengths: false))
                    )
                    try operations.addHandler(SMPPFrameEncoderHandler())
                    let session = ClientSession(
                        slot: slot,
                        connector: self,
                        configuration: sessionConfiguration,
                        logger: logger
                    )
                    try operations.addHandler(session)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenFailure { error in
                self.connectFailed(slot: slot, endpoint: endpoint, error: error)
            }
    }

    private func connectFailed(slot: Int, endpoint: ConnectorConfiguration.Endpoint, error: any Error) {
        let now = NIODeadline.now()
        self.logger.notice(
            "connect failed",
            metadata: ["smpp.session": "\(slot)", "endpoint": "\(endpoint)", "error": "\(error)"]
        )
        let (action, wakeup) = self.state.withLock { state in
            (
                state.pool.connectFailed(slot: slot, error: "\(endpoint): \(error)", now: now),
                Self.wakeupToArm(&state, now: now)
            )
        }
        self.perform([action])
        self.arm(wakeup)
    }

    // MARK: Timer

    /// The deadline to arm the timer for, if no earlier one is armed.
    private static func wakeupToArm(_ state: inout State, now: NIODeadline) -> NIODeadline? {
        guard let next = state.pool.nextWakeup(now: now) else { return nil }
        if let armed = state.timerDeadline, armed <= next, armed > now { return nil }
        state.timerDeadline = next
        return next
    }

    private func arm(_ deadline: NIODeadline?) {
        guard let deadline else { return }
        self.timerLoop.scheduleTask(deadline: deadline) { self.timerFired(scheduledFor: deadline) }
    }

    private func timerFired(scheduledFor deadline: NIODeadline) {
        let now = NIODeadline.now()
        let (action, dispatch, wakeup) = self.state.withLock { state in
            if state.timerDeadline == deadline { state.timerDeadline = nil }
            let action = state.pool.timerFired(now: now)
            self.recordGauges(state)
            return (action, self.handles(for: action.dispatch, in: state), Self.wakeupToArm(&state, now: now))
        }
        self.perform(action.connects)
        self.send(dispatch)
        self.arm(wakeup)
    }

    /// Records the queue and window gauges (called by the timer, not per submit).
    private func recordGauges(_ state: State) {
        self.metrics.queuedUrgent.record(state.pool.queuedUrgent)
        self.metrics.queuedNormal.record(state.pool.queuedNormal)
        self.metrics.inFlight.record(state.pool.slots.reduce(0) { $0 + $1.inFlight })
    }
}

/// Who is told a submit's outcome: a task waiting for it, or a callback.
enum SubmitWaiter: Sendable {
    case continuation(CheckedContinuation<SubmitResult, any Error>)
    case callback(@Sendable (Result<SubmitResult, SMPPClientError>) -> Void)

    func resume(returning result: SubmitResult) {
        switch self {
        case .continuation(let continuation): continuation.resume(returning: result)
        case .callback(let callback): callback(.success(result))
        }
    }

    func resume(throwing error: SMPPClientError) {
        switch self {
        case .continuation(let continuation): continuation.resume(throwing: error)
        case .callback(let callback): callback(.failure(error))
        }
    }
}

/// The results of a message's parts as they come; hands them over together once all are in.
final class PartResults: Sendable {
    private let state: Mutex<(results: [Result<SubmitResult, SMPPClientError>?], missing: Int)>
    private let completion: @Sendable ([Result<SubmitResult, SMPPClientError>]) -> Void

    init(count: Int, completion: @escaping @Sendable ([Result<SubmitResult, SMPPClientError>]) -> Void) {
        self.state = Mutex((Array(repeating: nil, count: count), count))
        self.completion = completion
    }

    func settle(_ index: Int, _ result: Result<SubmitResult, SMPPClientError>) {
        let all: [Result<SubmitResult, SMPPClientError>]? = self.state.withLock { state in
            state.results[index] = result
            state.missing -= 1
            return state.missing == 0 ? state.results.map { $0! } : nil
        }
        if let all { self.completion(all) }
    }
}
