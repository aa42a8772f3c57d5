public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
public import SMPP
public import ServiceLifecycle
import Synchronization

/// An SMSC simulator: an SMPP 3.4 server with receipts, failures, throttling, inbound messages, and
/// an HTTP control API.
///
/// Use it in-process (`start()`, then `stop()`), or as a swift-service-lifecycle `Service` whose
/// `run()` serves until graceful shutdown. The `smsc-sim` executable wraps it.
public final class SMSCSimulator: Service, Sendable {
    public let initialConfiguration: SimulatorConfiguration
    let core: SimulatorCore
    private let eventLoopGroup: any EventLoopGroup
    private let listeners = Mutex(Listeners())

    struct Listeners {
        var smpp: (any Channel)?
        var tls: (any Channel)?
        var control: ControlAPI.Running?
        var scriptTask: Task<Void, any Error>?
    }

    public init(
        configuration: SimulatorConfiguration,
        logger: Logger = Logger(label: "smsc-sim"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.initialConfiguration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.core = SimulatorCore(configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup)
    }

    // MARK: Lifecycle

    /// The bound SMPP port (useful with port 0), once started.
    public var port: Int? { self.listeners.withLock { $0.smpp?.localAddress?.port } }
    /// The bound TLS port, once started.
    public var tlsPort: Int? { self.listeners.withLock { $0.tls?.localAddress?.port } }
    /// The bound control API port, once started.
    public var controlPort: Int? { self.listeners.withLock { $0.control?.port } }

    /// Binds the listeners. Returns when they accept connections.
    public func start() async throws {
        let configuration = self.initialConfiguration
        let smpp = try await self.bind(host: configuration.host, port: configuration.port, tls: nil)
        self.listeners.withLock { $0.smpp = smpp }
        self.core.logger.info(
            "listening",
            metadata: ["host": "\(configuration.host)", "port": "\(smpp.localAddress?.port ?? 0)"]
        )
        if let tls = configuration.tls {
            let sslContext = try Self.makeSSLContext(tls)
            let channel = try await self.bind(host: configuration.host, port: tls.port, tls: sslContext)
            self.listeners.withLock { $0.tls = channel }
            self.core.logger.info("listening (TLS)", metadata: ["port": "\(channel.localAddress?.port ?? 0)"])
        }
        if let control = configuration.control {
            let running = try await ControlAPI.start(
                simulator: self,
                host: control.host,
                port: control.port,
                logger: self.core.logger
            )
            self.listeners.withLock { $0.control = running }
            self.core.logger.info("control API", metadata: ["url": "http://\(control.host):\(running.port)"])
        }
    }

    /// Closes the listeners and every session, and shuts the control API down gracefully.
    public func stop() async {
        self.core.stop()
        let listeners = self.listeners.withLock { listeners in
            defer { listeners = Listeners() }
            return listeners
        }
        listeners.scriptTask?.cancel()
        if let control = listeners.control {
            await control.group.triggerGracefulShutdown()
            _ = try? await control.task.value
        }
        try? await listeners.smpp?.close()
        try? await listeners.tls?.close()
        for handle in self.core.sessionHandles() { handle.close() }
    }

    /// Serves until graceful shutdown (or cancellation), then stops.
    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.stop()
    }

    private func bind(host: String, port: Int, tls: NIOSSLContext?) async throws -> any Channel {
        let core = self.core
        let maximumLength = self.initialConfiguration.maximumPDULength
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let tls { try operations.addHandler(NIOSSLServerHandler(context: tls)) }
                    // The session frames and codes SMPP itself (its hot path).
                    try operations.addHandler(
                        SMSCSession(core: core, id: core.nextSessionID(), maximumLength: maximumLength)
                    )
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    private static func makeSSLContext(_ tls: SimulatorConfiguration.TLS) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain,
            privateKey: .privateKey(key)
        )
        return try NIOSSLContext(configuration: configuration)
    }

    // MARK: Inspection and control

    /// Stored messages (each part of a concatenated message separately), oldest first.
    public func messages(systemID: String? = nil, limit: Int? = nil) -> [SimulatedMessage] {
        self.core.messages(systemID: systemID, limit: limit)
    }

    /// The stored message (or first part) with this id.
    public func message(id: String) -> SimulatedMessage? {
        self.core.message(id: id)
    }

    public var counters: SimulatorCounters { self.core.counters }

    /// Deliveries (receipts, MO) waiting for a receiving session to bind.
    public var pendingDeliveries: Int { self.core.pendingCount }

    /// The connected sessions.
    public func sessions() async -> [SessionInfo] {
        var result: [SessionInfo] = []
        for handle in self.core.sessionHandles() {
            if let info = try? await handle.snapshot().get() { result.append(info) }
        }
        return result
    }

    /// Closes a session's connection without unbind. `false` when there is no such session.
    @discardableResult
    public func closeSession(_ id: Int) -> Bool {
        guard let handle = self.core.sessionHandle(id) else { return false }
        handle.close()
        return true
    }

    /// Sends unbind on a session and closes it when answered. `false` when there is no such session.
    @discardableResult
    public func unbindSession(_ id: Int) -> Bool {
        guard let handle = self.core.sessionHandle(id) else { return false }
        handle.unbind()
        return true
    }

    /// Forgets stored messages, pending receipts and deliveries, and counters. Sessions stay connected.
    public func reset() {
        self.core.reset()
    }

    /// The live configuration.
    public var configuration: SimulatorConfiguration { self.core.configuration }

    /// Changes behaviour while running (outcomes, delays, faults, throttling, conventions). Listener
    /// settings are not affected.
    public func reconfigure(_ body: (inout SimulatorConfiguration) -> Void) {
        self.core.updateConfiguration(body)
    }

    // MARK: Mobile-originated messages

    /// A mobile-originated message handed to the simulator for delivery.
    public struct InboundMessage: Sendable, Hashable {
        /// The handset (`+447700900123`, or any text; TON/NPI are detected).
        public var from: String
        /// The ESME's address, e.g. a short code.
        public var to: String
        public var text: String
        /// `nil` picks GSM-7 when every character fits, else UCS-2.
        public var encoding: TextEncoding?
        /// Deliver only to sessions of this login; `nil` lets any receiving session take it.
        public var systemID: String?

        public init(from: String, to: String, text: String, encoding: TextEncoding? = nil, systemID: String? = nil) {
            self.from = from
            self.to = to
            self.text = text
            self.encoding = encoding
            self.systemID = systemID
        }
    }

    /// What happened to an injected message.
    public struct InjectionResult: Sendable, Hashable, Codable {
        /// The simulator's id of the injected message.
        public var id: String
        /// How many deliver_sm carry it (long texts are split with an 8-bit-reference UDH).
        public var parts: Int
        public var encoding: String
    }

    /// Sends a mobile-originated message as deliver_sm to a receiving session (or keeps it until one binds).
    public func injectMO(_ inbound: InboundMessage) throws(SegmentationError) -> InjectionResult {
        let encoding = inbound.encoding ?? TextEncoding.automatic(for: inbound.text)
        let number = self.core.nextMOID()
        let segments = try MessageSegmenter(configuration: .init(method: .udh8))
            .segments(for: inbound.text, encoding: encoding, reference: UInt16(truncatingIfNeeded: number))
        let template = DeliverSM(source: Address(detecting: inbound.from), destination: Address(detecting: inbound.to))
        let id = self.route(segments.map { template.applying($0) }, number: number, systemID: inbound.systemID)
        return InjectionResult(id: id, parts: segments.count, encoding: encoding.rawValue)
    }

    /// Sends these deliver_sm as they are, as the parts of one mobile-originated message, for what
    /// ``injectMO(_:)`` does not make: addresses as an SMSC may write them (an international
    /// number with its `+`, a sender in Latin-1), parts of one message in different data_codings.
    /// Returns the message's id.
    @discardableResult
    public func injectMO(parts: [DeliverSM], systemID: String? = nil) -> String {
        self.route(parts, number: self.core.nextMOID(), systemID: systemID)
    }

    private func route(_ parts: [DeliverSM], number: Int, systemID: String?) -> String {
        let id = "MO\(number)"
        let deliveries = parts.map { part in
            Delivery(kind: .mo(id: id), systemID: systemID, preferredSession: nil, pdu: .deliverSM(part))
        }
        self.core.logger.info(
            "mo injected",
            metadata: [
                "mo.id": "\(id)", "source": "\(parts.first?.source.value ?? "")",
                "destination": "\(parts.first?.destination.value ?? "")", "parts": "\(parts.count)",
            ]
        )
        self.core.route(deliveries)
        return id
    }

    /// Plays an MO script in the background (see ``MOScript``).
    public func play(_ script: MOScript) {
        let task = Task {
            for line in script.lines {
                if line.delay > 0 { try await Task.sleep(for: .milliseconds(Int64(line.delay * 1000))) }
                do {
                    _ = try self.injectMO(line.message)
                } catch {
                    self.core.logger.warning("MO script line refused", metadata: ["error": "\(error)"])
                }
            }
        }
        self.listeners.withLock { $0.scriptTask = task }
    }
}
