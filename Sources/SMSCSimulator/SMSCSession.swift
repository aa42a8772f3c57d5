internal import Logging
internal import NIOCore
internal import SMPP

/// One SMPP connection seen from the SMSC side: bind rules, submits, receipts and MO going out,
/// enquire_link both ways, unbind. Runs on its channel's event loop; shared state lives in
/// ``SimulatorCore``.
///
/// The handler frames and codes SMPP itself (with the `SMPP` library's `readSMPPFrame` and
/// `writeSMPPFrame`) instead of sitting behind `ByteToMessageHandler` and `MessageToByteHandler`:
/// frames are not boxed into `NIOAny`, and the PDUs written while handling one read go out in one
/// buffer. It is the simulator's hot path (see docs/ARCHITECTURE.md).
final class SMSCSession: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: SimulatorCore
    let id: Int
    private var logger: Logger
    private var context: ChannelHandlerContext?
    private var state: SessionState = .open
    private var systemID: String?
    private var interfaceVersion: InterfaceVersion?
    private var sequenceNumbers = SequenceNumbers()
    /// Requests received whose response has not been written yet: responses delayed on purpose
    /// (`--resp-delay`, a receipt sent first) and submits never answered (fault injection), which
    /// keep their place for the rest of the session. `--window` caps it.
    private var unanswered = 0
    private var pdusReceived = 0
    private var pdusSent = 0
    private var rateLimiter: TokenBucket?
    /// deliver_sm sent and not yet answered, by sequence number.
    private var outstanding: [UInt32: (delivery: Delivery, deadline: NIODeadline)] = [:]
    /// One timer for every outstanding deliver_sm, armed for the earliest deadline.
    private var deliveryTimer: (task: Scheduled<Void>, deadline: NIODeadline)?
    /// The enquire_link sent and not yet answered, and when it went out.
    private var enquireLinkOutstanding: (sequenceNumber: UInt32, sentAt: NIODeadline)?
    private var keepAlive: Scheduled<Void>?
    private var lastReceived = NIODeadline.now()
    private var remoteAddress = "?"
    private let connectedAt = UTCInstant.now
    private var unbindSequence: UInt32?
    /// Set once a fault-injected drop or a framing error is under way: nothing more is read.
    private var dropping = false
    /// The largest PDU accepted.
    private let maximumLength: Int
    /// Octets received and not yet framed.
    private var inbound = ByteBuffer()
    /// PDUs encoded and not yet written: flushed at the end of each read, or (for PDUs written
    /// outside a read, such as receipts from the timer) once per event-loop tick.
    private var outbound = ByteBuffer()
    private var inRead = false
    private var flushScheduled = false
    private var cachedConfiguration: SimulatorConfiguration
    private var cachedConfigurationVersion: Int

    init(core: SimulatorCore, id: Int, maximumLength: Int) {
        self.core = core
        self.id = id
        self.maximumLength = maximumLength
        (self.cachedConfiguration, self.cachedConfigurationVersion) = core.versionedConfiguration()
        var logger = core.logger
        logger[metadataKey: "smpp.session"] = "\(id)"
        self.logger = logger
    }

    /// The live configuration, re-read from the core only when it has changed (an atomic load per
    /// use instead of a lock and a copy).
    private var configuration: SimulatorConfiguration {
        if self.core.configurationVersion != self.cachedConfigurationVersion {
            (self.cachedConfiguration, self.cachedConfigurationVersion) = self.core.versionedConfiguration()
        }
        return self.cachedConfiguration
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.remoteAddress = context.remoteAddress.map { "\($0)" } ?? "?"
        self.core.register(SessionHandle(id: self.id, session: self, eventLoop: context.eventLoop))
    }

    func channelActive(context: ChannelHandlerContext) {
        self.logger.info("connect", metadata: ["remote": "\(self.remoteAddress)"])
        let interval = self.configuration.enquireLinkInterval
        if interval > 0 { self.armKeepAlive(.nanoseconds(Int64(interval * 1e9))) }
        let initTimeout = self.configuration.sessionInitTimeout
        if initTimeout > 0 {
            context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(initTimeout * 1e9))) { [self] in
                // Still not bound (a session that bound and unbound is closed by the unbind).
                guard self.state == .open, let context = self.context else { return }
                self.logger.info("no bind within the session init timeout, closing")
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.keepAlive?.cancel()
        self.keepAlive = nil
        let wasBound = if case .bound = self.state { true } else { false }
        self.state = .closed
        if wasBound { self.core.unbound(sessionID: self.id, byUnbind: false) }
        self.core.unregister(self.id)
        // Nothing in flight is lost: unanswered deliveries go to another session or wait for one.
        let deliveries = self.outstanding.values
        self.outstanding = [:]
        self.deliveryTimer?.task.cancel()
        self.deliveryTimer = nil
        for (delivery, _) in deliveries { self.core.retry(delivery) }
        self.logger.info("disconnect", metadata: ["smpp.system_id": "\(self.systemID ?? "-")"])
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.dropping else { return }
        var incoming = self.unwrapInboundIn(data)
        if self.inbound.readableBytes == 0 {
            self.inbound = incoming
        } else {
            self.inbound.writeBuffer(&incoming)
        }
        self.lastReceived = .now()
        self.inRead = true
        defer { self.inRead = false }
        while !self.dropping {
            let frame: SMPPFrame?
            do {
                frame = try self.inbound.readSMPPFrame(maximumLength: self.maximumLength)
            } catch {
                if error.isFatal {
                    self.framingLost(error, context: context)
                    return
                }
                // command_length delimited the PDU: its octets are consumed, the session goes on.
                self.received(nil, malformed: error, context: context)
                continue
            }
            guard let frame else { break }
            self.received(frame, malformed: nil, context: context)
        }
        // Keep the unread rest (a partial PDU) compact.
        if self.inbound.readableBytes == 0 {
            self.inbound.clear()
        } else if self.inbound.readerIndex >= 16_384 {
            self.inbound.discardReadBytes()
        }
    }

    /// One PDU (or a correctly framed PDU with a malformed body) arrived.
    private func received(_ frame: SMPPFrame?, malformed: SMPPDecodingError?, context: ChannelHandlerContext) {
        self.pdusReceived += 1
        if let frame {
            self.handle(frame)
        } else if let malformed {
            self.handleMalformed(malformed)
        }
        if let limit = self.configuration.faults.dropAfterPDUs, self.pdusReceived >= limit {
            // Fault injection: the Nth PDU is handled and answered, then the connection goes.
            self.core.count { $0.droppedConnections += 1 }
            self.logger.info("dropping connection (fault injection)", metadata: ["pdus": "\(self.pdusReceived)"])
            self.dropping = true
            self.flushOutbound()
            context.close(promise: nil)
        }
    }

    /// `command_length` was below 16 or above the maximum: framing is lost. Answers generic_nack,
    /// then closes.
    private func framingLost(_ error: SMPPDecodingError, context: ChannelHandlerContext) {
        self.dropping = true
        self.core.count {
            $0.malformedPDUs += 1
            $0.genericNacksSent += 1
        }
        self.logger.warning("framing error, closing", metadata: ["error": "\(error)"])
        _ = self.encode(
            SMPPFrame(
                .genericNack,
                sequenceNumber: error.header?.sequenceNumber ?? 0,
                commandStatus: error.commandStatus
            )
        )
        let pending = self.outbound
        self.outbound.clear()
        context.writeAndFlush(self.wrapOutboundOut(pending)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushOutbound()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Writing

    /// Encodes a PDU into the outbound buffer; `false` (nothing written) when it cannot be encoded.
    /// `flush` makes sure it goes out soon: at the end of the current read, or else at the end of
    /// this event-loop tick (so a burst of receipts from the timer still leaves in one write).
    @discardableResult
    private func write(_ frame: SMPPFrame, flush: Bool = false) -> Bool {
        guard let context = self.context else { return false }
        guard self.encode(frame) else { return false }
        self.pdusSent += 1
        if flush && !self.inRead && !self.flushScheduled {
            self.flushScheduled = true
            context.eventLoop.assumeIsolated().execute { [self] in
                self.flushScheduled = false
                self.flushOutbound()
            }
        }
        return true
    }

    private func encode(_ frame: SMPPFrame) -> Bool {
        do {
            try self.outbound.writeSMPPFrame(frame)
            return true
        } catch {
            // The encoder wrote nothing; a value the simulator built should always fit.
            self.logger.error(
                "PDU not sent: cannot encode",
                metadata: ["smpp.command": "\(frame.commandID)", "error": "\(error)"]
            )
            return false
        }
    }

    /// Writes and flushes what has been encoded.
    private func flushOutbound() {
        guard let context = self.context, self.outbound.readableBytes > 0 else { return }
        context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
        // The written buffer now belongs to the channel; the next write starts a fresh one.
        self.outbound = context.channel.allocator.buffer(capacity: 1024)
    }

    /// Writes the response to `request`, now or after `delay` seconds, then runs `then` (which routes
    /// receipts that must not overtake the response).
    private func respond(
        to request: SMPPFrame,
        with pdu: PDU,
        status: CommandStatus = .ok,
        delay: Double = 0,
        then: (() -> Void)? = nil
    ) {
        let frame = SMPPFrame(pdu, sequenceNumber: request.sequenceNumber, commandStatus: status)
        guard delay > 0, let context = self.context else {
            self.write(frame, flush: then != nil)
            then?()
            return
        }
        self.unanswered += 1
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { [self] in
            self.unanswered -= 1
            self.write(frame, flush: true)
            then?()
        }
    }

    private func refuse(_ request: SMPPFrame, status: CommandStatus) {
        guard let response = PDU.errorResponse(to: request.commandID) else { return }
        if response == .genericNack { self.core.count { $0.genericNacksSent += 1 } }
        self.respond(to: request, with: response, status: status)
    }

    // MARK: Requests

    private func handle(_ frame: SMPPFrame) {
        let commandID = frame.commandID
        if commandID.isResponse {
            self.handleResponse(frame)
            return
        }
        if case .unknown = frame.pdu {
            self.refuse(frame, status: .invalidCommandID)
            return
        }
        guard self.state.permits(commandID, from: .esme) else {
            self.refuse(frame, status: self.state.refusal(for: commandID))
            return
        }
        switch frame.pdu {
        case .bindTransmitter(let bind): self.handleBind(frame, type: .transmitter, bind: bind)
        case .bindReceiver(let bind): self.handleBind(frame, type: .receiver, bind: bind)
        case .bindTransceiver(let bind): self.handleBind(frame, type: .transceiver, bind: bind)
        case .enquireLink:
            self.core.count { $0.enquireLinksReceived += 1 }
            self.respond(to: frame, with: .enquireLinkResp)
        case .unbind:
            self.respond(to: frame, with: .unbindResp)
            self.state = .unbound
            self.core.unbound(sessionID: self.id, byUnbind: true)
            self.logger.info("unbind", metadata: ["smpp.system_id": "\(self.systemID ?? "-")"])
            // The ESME closes after unbind_resp; close anyway if it does not.
            self.context?.eventLoop.assumeIsolated().scheduleTask(in: .seconds(5)) { [self] in
                self.context?.close(promise: nil)
            }
        case .submitSM(let message):
            self.submit(frame, message: message, command: "submit_sm") {
                .submitSMResp(SubmitSMResponse(messageID: $0))
            }
        case .dataSM(let dataSM):
            let message = ShortMessage(
                serviceType: dataSM.serviceType,
                source: dataSM.source,
                destination: dataSM.destination,
                esmClass: dataSM.esmClass,
                registeredDelivery: dataSM.registeredDelivery,
                dataCoding: dataSM.dataCoding,
                tlvs: dataSM.tlvs
            )
            self.submit(frame, message: message, command: "data_sm") { .dataSMResp(DataSMResponse(messageID: $0)) }
        case .submitMulti(let multi):
            self.core.count { $0.submitsReceived += 1 }
            self.submitMulti(frame, multi: multi)
        case .querySM(let query):
            switch self.core.query(query, systemID: self.systemID ?? "", now: .now()) {
            case .found(let response): self.respond(to: frame, with: .querySMResp(response))
            case .notFound: self.refuse(frame, status: .invalidMessageID)
            }
        case .cancelSM(let cancel):
            if self.core.cancel(cancel, systemID: self.systemID ?? "", now: .now()) {
                self.respond(to: frame, with: .cancelSMResp)
            } else {
                self.refuse(frame, status: .cancelFailed)
            }
        case .replaceSM(let replace):
            if let status = Self.validate(replace) {
                self.refuse(frame, status: status)
            } else if self.core.replace(replace, systemID: self.systemID ?? "", now: .now()) {
                self.respond(to: frame, with: .replaceSMResp)
            } else {
                self.refuse(frame, status: .replaceFailed)
            }
        default:
            // deliver_sm, outbind and alert_notification only travel from the SMSC: permits() refused them above.
            self.refuse(frame, status: .invalidBindStatus)
        }
    }

    private func handleBind(_ frame: SMPPFrame, type: BindType, bind: Bind) {
        switch self.core.bind(sessionID: self.id, type: type, bind: bind) {
        case .refuse(let status):
            self.logger.info(
                "bind refused",
                metadata: ["smpp.system_id": "\(bind.systemID)", "smpp.bind_type": "\(type)", "status": "\(status)"]
            )
            self.respond(to: frame, with: type.response(BindResponse(systemID: "")), status: status)
        case .accept(let closing, let pending):
            self.state = .bound(type)
            self.systemID = bind.systemID
            self.interfaceVersion = bind.interfaceVersion
            self.logger[metadataKey: "smpp.system_id"] = "\(bind.systemID)"
            let configuration = self.configuration
            if let rate = configuration.throttling.maxRate {
                self.rateLimiter = TokenBucket(rate: rate, now: .now())
            }
            let response =
                bind.interfaceVersion.supportsTLVs
                ? BindResponse(systemID: configuration.systemID, interfaceVersion: .v34)
                : BindResponse(systemID: configuration.systemID)
            self.respond(to: frame, with: type.response(response))
            self.logger.info("bind", metadata: ["smpp.system_id": "\(bind.systemID)", "smpp.bind_type": "\(type)"])
            for handle in closing {
                self.logger.info(
                    "closing older session of the same login",
                    metadata: ["smpp.session.closed": "\(handle.id)"]
                )
                handle.close()
            }
            for delivery in pending { self.deliver(delivery) }
        }
    }

    /// Applies the per-session limits to a submit_sm, data_sm or submit_multi: the window (requests
    /// not answered yet) and the rate. Answers and counts a refusal; `true` when the request may go on.
    private func admit(_ frame: SMPPFrame, configuration: SimulatorConfiguration, now: NIODeadline) -> Bool {
        // A submit_multi has already been counted as received.
        let counted = frame.commandID == .submitMulti
        if let window = configuration.throttling.window, self.unanswered >= window {
            let status = configuration.throttling.windowStatus
            self.core.count {
                if !counted { $0.submitsReceived += 1 }
                $0.windowExceeded += 1
                $0.submitsRefused[status.name ?? "\(status)", default: 0] += 1
            }
            self.refuse(frame, status: status)
            return false
        }
        if let rate = configuration.throttling.maxRate {
            // One bucket per session, renewed when the rate changes while running.
            if self.rateLimiter?.rate != rate { self.rateLimiter = TokenBucket(rate: rate, now: now) }
        } else {
            self.rateLimiter = nil
        }
        if self.rateLimiter != nil, !self.rateLimiter!.take(now: now) {
            self.core.count {
                if !counted { $0.submitsReceived += 1 }
                $0.throttled += 1
                $0.submitsRefused["ESME_RTHROTTLED", default: 0] += 1
            }
            self.refuse(frame, status: .throttled)
            return false
        }
        return true
    }

    /// Validates a submit_sm / data_sm and hands it to the core; answers with `response(messageID)`.
    private func submit(_ frame: SMPPFrame, message: ShortMessage, command: String, response: (String) -> PDU) {
        let configuration = self.configuration
        let now = NIODeadline.now()
        guard self.admit(frame, configuration: configuration, now: now) else { return }
        if let status = Self.validate(message) {
            self.core.count {
                $0.submitsReceived += 1
                $0.submitsRefused[status.name ?? "\(status)", default: 0] += 1
            }
            self.refuse(frame, status: status)
            return
        }
        let decoded = Self.decode(message.userData, dataCoding: message.dataCoding, udhi: message.esmClass.hasUDHI)
        guard decoded.udhValid else {
            self.core.count {
                $0.submitsReceived += 1
                $0.submitsRefused["ESME_RINVESMCLASS", default: 0] += 1
            }
            self.refuse(frame, status: .invalidESMClass)
            return
        }
        let wallClock = UTCInstant.now
        let submission = SimulatorCore.Submission(
            sessionID: self.id,
            systemID: self.systemID ?? "",
            command: command,
            message: message,
            userData: decoded.userData,
            text: decoded.text,
            concatenation: message.concatenation,
            now: now,
            wallClock: wallClock
        )
        switch self.core.accept(submission) {
        case .refuse(let status):
            self.core.count { $0.submitsRefused[status.name ?? "\(status)", default: 0] += 1 }
            self.refuse(frame, status: status)
        case .unanswered:
            // Never answered, so it stays in the window for the rest of the session.
            self.unanswered += 1
            self.logger.debug(
                "not answering submit (fault injection)",
                metadata: ["smpp.sequence_number": "\(frame.sequenceNumber)"]
            )
        case .accept(let messageID, let receiptKey, let plan):
            self.logger.info(
                "\(command)",
                metadata: [
                    "source": "\(message.source.value)", "destination": "\(message.destination.value)",
                    "message.id": "\(messageID)",
                ]
            )
            let receipts = self.core.receipts(
                for: receiptKey,
                intermediate: plan.intermediate,
                final: plan.early || plan.immediate,
                now: now,
                wallClock: wallClock
            )
            if plan.early {
                // The real-world race: the receipt overtakes the submit response.
                self.core.route(receipts)
                self.respond(
                    to: frame,
                    with: response(messageID),
                    delay: max(configuration.throttling.responseDelay, 0.02)
                )
            } else {
                // Receipts follow the response, even a delayed one. Without receipts the response is
                // flushed with the others at the end of the read.
                let core = self.core
                self.respond(
                    to: frame,
                    with: response(messageID),
                    delay: configuration.throttling.responseDelay,
                    then: receipts.isEmpty ? nil : { core.route(receipts) }
                )
            }
        }
    }

    /// Accepts a submit_multi once per SME destination; every destination shares the first one's
    /// message id (the only id the ESME learns), and each gets its own receipt. What is wrong with
    /// the message itself refuses the whole request with its own status, as submit_sm would; what
    /// is wrong with one destination goes into `unsuccess_sme`. When no destination could be taken
    /// the response is ESME_RSUBMITFAIL with that list.
    private func submitMulti(_ frame: SMPPFrame, multi: SubmitMulti) {
        let configuration = self.configuration
        guard self.admit(frame, configuration: configuration, now: .now()) else { return }
        guard (1...254).contains(multi.destinations.count) else {
            self.refuse(frame, status: .invalidNumberOfDestinations)
            return
        }
        let template = ShortMessage(
            serviceType: multi.serviceType,
            source: multi.source,
            destination: Address("0"),
            esmClass: multi.esmClass,
            protocolID: multi.protocolID,
            priorityFlag: multi.priorityFlag,
            scheduleDeliveryTime: multi.scheduleDeliveryTime,
            validityPeriod: multi.validityPeriod,
            registeredDelivery: multi.registeredDelivery,
            replaceIfPresentFlag: multi.replaceIfPresentFlag,
            dataCoding: multi.dataCoding,
            smDefaultMessageID: multi.smDefaultMessageID,
            shortMessage: multi.shortMessage,
            tlvs: multi.tlvs
        )
        // The same user data for every destination: decoded once.
        let decoded = Self.decode(template.userData, dataCoding: template.dataCoding, udhi: template.esmClass.hasUDHI)
        var refusal = Self.validate(template)
        if refusal == nil, !decoded.udhValid { refusal = .invalidESMClass }
        if let refusal {
            self.core.count { $0.submitsRefused[refusal.name ?? "\(refusal)", default: 0] += 1 }
            self.refuse(frame, status: refusal)
            return
        }
        var sharedID: String?
        var unsuccessful: [SubmitMultiResponse.UnsuccessfulDelivery] = []
        var receipts: [Delivery] = []
        for destination in multi.destinations {
            guard case .address(let address) = destination else {
                // The simulator keeps no distribution lists.
                if case .distributionList(let name) = destination {
                    unsuccessful.append(.init(address: Address(name), errorStatus: .invalidDistributionListName))
                }
                continue
            }
            // The rest of the message was checked once, above: only the address is new.
            guard !address.value.isEmpty else {
                unsuccessful.append(.init(address: address, errorStatus: .invalidDestinationAddress))
                continue
            }
            var message = template
            message.destination = address
            let now = NIODeadline.now()
            let wallClock = UTCInstant.now
            let submission = SimulatorCore.Submission(
                sessionID: self.id,
                systemID: self.systemID ?? "",
                command: "submit_multi",
                message: message,
                userData: decoded.userData,
                text: decoded.text,
                concatenation: message.concatenation,
                now: now,
                wallClock: wallClock,
                sharedID: sharedID,
                countsAsRequest: false
            )
            switch self.core.accept(submission) {
            case .refuse(let status):
                unsuccessful.append(.init(address: address, errorStatus: status))
            case .unanswered:
                unsuccessful.append(.init(address: address, errorStatus: .systemError))
            case .accept(let messageID, let receiptKey, let plan):
                sharedID = sharedID ?? messageID
                self.logger.info(
                    "submit_multi",
                    metadata: [
                        "source": "\(message.source.value)", "destination": "\(address.value)",
                        "message.id": "\(messageID)",
                    ]
                )
                receipts += self.core.receipts(
                    for: receiptKey,
                    intermediate: plan.intermediate,
                    final: plan.early || plan.immediate,
                    now: now,
                    wallClock: wallClock
                )
            }
        }
        guard let sharedID else {
            self.respond(
                to: frame,
                with: .submitMultiResp(SubmitMultiResponse(messageID: "", unsuccessful: unsuccessful)),
                status: .submitFailed
            )
            return
        }
        self.respond(
            to: frame,
            with: .submitMultiResp(SubmitMultiResponse(messageID: sharedID, unsuccessful: unsuccessful)),
            delay: configuration.throttling.responseDelay,
            then: receipts.isEmpty ? nil : { [core = self.core] in core.route(receipts) }
        )
    }

    /// The field checks a strict SMSC applies to a submit; `nil` when the message is acceptable.
    static func validate(_ message: ShortMessage) -> CommandStatus? {
        if message.destination.value.isEmpty { return .invalidDestinationAddress }
        if message.priorityFlag > 3 { return .invalidPriorityFlag }
        if message.replaceIfPresentFlag > 1 { return .invalidReplaceIfPresentFlag }
        if message.registeredDelivery.rawValue & 0xE0 != 0 { return .invalidRegisteredDelivery }
        // From an ESME only the default type and its acknowledgements (SMPP 3.4 §5.2.12); receipts and
        // intermediate notifications travel the other way.
        if ![ESMClass.defaultMode.rawValue, ESMClass.deliveryAcknowledgement.rawValue,
            ESMClass.manualAcknowledgement.rawValue].contains(message.esmClass.messageType)
        {
            return .invalidESMClass
        }
        // The simulator keeps no canned messages.
        if message.smDefaultMessageID != 0 { return .invalidPredefinedMessage }
        if message.shortMessage.readableBytes > 254
            || (message.shortMessage.readableBytes > 0 && message.tlvs.contains(.messagePayload))
        {
            return .invalidMessageLength
        }
        return Self.validateTimes(schedule: message.scheduleDeliveryTime, validity: message.validityPeriod)
    }

    /// The submit checks that apply to a replace_sm's new values.
    static func validate(_ replace: ReplaceSM) -> CommandStatus? {
        if replace.registeredDelivery.rawValue & 0xE0 != 0 { return .invalidRegisteredDelivery }
        if replace.shortMessage.readableBytes > 254
            || (replace.shortMessage.readableBytes > 0 && replace.tlvs.contains(.messagePayload))
        {
            return .invalidMessageLength
        }
        return Self.validateTimes(schedule: replace.scheduleDeliveryTime, validity: replace.validityPeriod)
    }

    /// schedule_delivery_time and validity_period: empty, or an absolute or relative SMPP time.
    private static func validateTimes(schedule: String, validity: String) -> CommandStatus? {
        if !schedule.isEmpty && (try? SMPPTime(field: schedule)) == nil { return .invalidScheduleDeliveryTime }
        if !validity.isEmpty && (try? SMPPTime(field: validity)) == nil { return .invalidValidityPeriod }
        return nil
    }

    /// The user data without its User Data Header, and its text when the data coding is textual.
    static func decode(
        _ userData: ByteBuffer,
        dataCoding: DataCoding,
        udhi: Bool
    ) -> (userData: [UInt8], text: String?, udhValid: Bool) {
        var payload = userData
        if udhi {
            guard let split = try? UserDataHeader.split(userData) else {
                return (Array(userData.readableBytesView), nil, false)
            }
            payload = split.rest
        }
        return (Array(payload.readableBytesView), dataCoding.decodeText(payload), true)
    }

    // MARK: Responses

    private func handleResponse(_ frame: SMPPFrame) {
        switch frame.pdu {
        case .enquireLinkResp:
            if frame.sequenceNumber == self.enquireLinkOutstanding?.sequenceNumber { self.enquireLinkOutstanding = nil }
        case .unbindResp:
            if frame.sequenceNumber == self.unbindSequence { self.context?.close(promise: nil) }
        case .deliverSMResp, .dataSMResp, .genericNack:
            self.deliveryAnswered(sequenceNumber: frame.sequenceNumber, status: frame.commandStatus)
        default:
            self.logger.debug("unexpected response ignored", metadata: ["smpp.command": "\(frame.commandID)"])
        }
    }

    private func handleMalformed(_ error: SMPPDecodingError) {
        self.core.count { $0.malformedPDUs += 1 }
        self.logger.notice("malformed PDU", metadata: ["error": "\(error)"])
        guard let header = error.header else { return }
        if header.commandID.isResponse {
            self.deliveryAnswered(
                sequenceNumber: header.sequenceNumber,
                status: header.commandStatus.isSuccess ? .systemError : header.commandStatus
            )
            return
        }
        let request = SMPPFrame(
            .unknown(UnknownPDU(commandID: header.commandID)),
            sequenceNumber: header.sequenceNumber
        )
        self.refuse(request, status: header.commandID.isKnown ? error.commandStatus : .invalidCommandID)
    }

    private func deliveryAnswered(sequenceNumber: UInt32, status: CommandStatus) {
        guard let (delivery, _) = self.outstanding.removeValue(forKey: sequenceNumber) else { return }
        if status.isSuccess {
            self.core.delivered(delivery, acknowledged: true)
        } else if status.isTemporary {
            self.logger.info("delivery refused temporarily, will retry", metadata: ["status": "\(status)"])
            self.core.retry(delivery)
        } else {
            self.logger.info("delivery refused", metadata: ["status": "\(status)"])
            self.core.delivered(delivery, acknowledged: false)
        }
    }

    // MARK: Deliveries (receipts and MO)

    /// Sends a deliver_sm; gives it back to the core when this session cannot receive any more.
    func deliver(_ delivery: Delivery) {
        guard let context = self.context, case .bound(let type) = self.state, type.canReceive else {
            // This session stopped receiving after the delivery was routed here (unbind, close): the
            // core no longer counts it as a receiver, so routing again picks another one or keeps it.
            self.core.route([delivery])
            return
        }
        var pdu = delivery.pdu
        if !(self.interfaceVersion?.supportsTLVs ?? true), case .deliverSM(var message) = pdu {
            // A peer bound with interface version 3.3 must not receive TLVs.
            message.tlvs = []
            pdu = .deliverSM(message)
        }
        let sequenceNumber = self.sequenceNumbers.next()
        let timeout = TimeAmount.nanoseconds(Int64(self.configuration.deliveryResponseTimeout * 1e9))
        let deadline = NIODeadline.now() + timeout
        guard self.write(SMPPFrame(pdu, sequenceNumber: sequenceNumber), flush: true) else {
            // No peer can take what cannot be encoded: failed for good, not retried.
            self.core.delivered(delivery, acknowledged: false)
            return
        }
        self.outstanding[sequenceNumber] = (delivery, deadline)
        self.armDeliveryTimer(at: deadline, context: context)
        self.core.sent(delivery)
        switch delivery.kind {
        case .receipt(_, let messageID, let stat):
            self.logger.info("receipt sent", metadata: ["message.id": "\(messageID)", "stat": "\(stat)"])
        case .mo(let id):
            self.logger.info("mo sent", metadata: ["mo.id": "\(id)"])
        }
    }

    /// Arms the delivery timer for `deadline` unless it already fires earlier.
    private func armDeliveryTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        if let armed = self.deliveryTimer {
            guard deadline < armed.deadline else { return }
            armed.task.cancel()
        }
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.deliveryTimerFired()
        }
        self.deliveryTimer = (task, deadline)
    }

    /// Gives every deliver_sm whose response is overdue back to the core for another attempt.
    private func deliveryTimerFired() {
        self.deliveryTimer = nil
        guard let context = self.context else { return }
        let now = NIODeadline.now()
        var next: NIODeadline?
        var overdue: [UInt32] = []
        for (sequenceNumber, entry) in self.outstanding {
            if entry.deadline <= now {
                overdue.append(sequenceNumber)
            } else {
                next = min(next ?? entry.deadline, entry.deadline)
            }
        }
        for sequenceNumber in overdue.sorted() {
            guard let (delivery, _) = self.outstanding.removeValue(forKey: sequenceNumber) else { continue }
            self.logger.info("no deliver_sm_resp, will retry", metadata: ["smpp.sequence_number": "\(sequenceNumber)"])
            self.core.retry(delivery)
        }
        if let next { self.armDeliveryTimer(at: next, context: context) }
    }

    // MARK: Keep-alive and control

    private func armKeepAlive(_ interval: TimeAmount) {
        self.keepAlive = self.context?.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            self.keepAliveTimerFired(interval: interval)
        }
    }

    private func keepAliveTimerFired(interval: TimeAmount) {
        guard let context = self.context, self.state != .closed else { return }
        defer { self.armKeepAlive(interval) }
        if let outstanding = self.enquireLinkOutstanding {
            // Any PDU received since proves the link is alive (SMPP.md §11.1); only silence closes it.
            guard self.lastReceived > outstanding.sentAt else {
                self.logger.info("peer did not answer enquire_link, closing")
                self.flushOutbound()
                context.close(promise: nil)
                return
            }
            self.enquireLinkOutstanding = nil
        }
        let now = NIODeadline.now()
        guard now - self.lastReceived >= interval else { return }
        let sequenceNumber = self.sequenceNumbers.next()
        self.enquireLinkOutstanding = (sequenceNumber, now)
        self.core.count { $0.enquireLinksSent += 1 }
        // Flushed now, not on a later turn of the loop: a loop late by more than an interval would
        // otherwise run the next timer first, and close before the probe ever left.
        guard self.write(SMPPFrame(.enquireLink, sequenceNumber: sequenceNumber)) else { return }
        self.flushOutbound()
    }

    func close() {
        self.context?.close(promise: nil)
    }

    func unbind() {
        guard case .bound = self.state else {
            self.close()
            return
        }
        let sequenceNumber = self.sequenceNumbers.next()
        self.unbindSequence = sequenceNumber
        self.state = .unbound
        self.core.unbound(sessionID: self.id, byUnbind: true)
        self.logger.info("unbind", metadata: ["smpp.system_id": "\(self.systemID ?? "-")", "initiator": "smsc"])
        self.write(SMPPFrame(.unbind, sequenceNumber: sequenceNumber), flush: true)
        self.context?.eventLoop.assumeIsolated().scheduleTask(in: .seconds(5)) { [self] in self.close() }
    }

    func snapshot() -> SessionInfo {
        let bindType: BindType? = if case .bound(let type) = self.state { type } else { nil }
        return SessionInfo(
            id: self.id,
            systemID: self.systemID,
            bindType: bindType,
            state: self.state.description,
            remoteAddress: self.remoteAddress,
            connectedAt: self.connectedAt.description,
            interfaceVersion: self.interfaceVersion?.rawValue,
            pdusReceived: self.pdusReceived,
            pdusSent: self.pdusSent,
            outstandingDeliveries: self.outstanding.count
        )
    }
}
