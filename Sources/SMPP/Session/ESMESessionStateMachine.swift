public import NIOCore

/// The ESME side of one SMPP session as a value type with no I/O: bind, the window of outstanding
/// requests with their timeouts, keep-alive, unbind. Each event method returns what the caller must
/// do. Time is an input (`now`), so timeouts are tested without sleeping.
///
/// `Request` is whatever the caller uses to complete a request (a promise, a test token…).
public struct ESMESessionStateMachine<Request> {
    /// Session parameters.
    public struct Configuration: Sendable {
        public var bindType: BindType
        public var bind: Bind
        /// The most requests awaiting a response. Default 10.
        public var window: Int
        /// Time allowed for the bind response. Default 10 s.
        public var bindTimeout: TimeAmount
        /// Time allowed for each response. Default 30 s.
        public var responseTimeout: TimeAmount
        /// Send enquire_link after this much silence from the SMSC; `nil` never. Default 30 s.
        public var enquireLinkInterval: TimeAmount?
        /// Time allowed for enquire_link_resp before the link is declared dead. Default 10 s.
        public var enquireLinkTimeout: TimeAmount
        /// Time a graceful unbind may wait for in-flight responses and unbind_resp. Default 5 s.
        public var unbindTimeout: TimeAmount

        public init(
            bindType: BindType,
            bind: Bind,
            window: Int = 10,
            bindTimeout: TimeAmount = .seconds(10),
            responseTimeout: TimeAmount = .seconds(30),
            enquireLinkInterval: TimeAmount? = .seconds(30),
            enquireLinkTimeout: TimeAmount = .seconds(10),
            unbindTimeout: TimeAmount = .seconds(5)
        ) {
            self.bindType = bindType
            self.bind = bind
            self.window = window
            self.bindTimeout = bindTimeout
            self.responseTimeout = responseTimeout
            self.enquireLinkInterval = enquireLinkInterval
            self.enquireLinkTimeout = enquireLinkTimeout
            self.unbindTimeout = unbindTimeout
        }
    }

    private enum State {
        /// Not connected yet. Next: `binding` (connected), `closed`.
        case idle
        /// bind sent. Next: `bound`, `closed` (refused, timed out, connection lost).
        case binding(sequenceNumber: UInt32, deadline: NIODeadline)
        /// Usable. Next: `draining` (unbind requested), `unbinding`, `closed`.
        case bound(BindType)
        /// Unbind requested; waiting for outstanding responses. Next: `unbinding`, `closed`.
        case draining(BindType, deadline: NIODeadline)
        /// unbind sent. Next: `closed`.
        case unbinding(sequenceNumber: UInt32, deadline: NIODeadline)
        /// Over. No next state.
        case closed
    }

    public let configuration: Configuration
    private var state: State = .idle
    private var sequenceNumbers: SequenceNumbers
    private var outstanding: [UInt32: Request] = [:]
    /// Sequence numbers in send order with their deadlines (entries whose request completed are skipped).
    private var timeouts = CircularBuffer<(sequenceNumber: UInt32, deadline: NIODeadline)>()
    private var lastReceived: NIODeadline
    private var enquireLink: (sequenceNumber: UInt32, deadline: NIODeadline)?
    private var closeReason: ESMESessionError?
    /// The `sc_interface_version` the SMSC announced, `nil` when it announced none (3.3: no TLVs).
    public private(set) var peerInterfaceVersion: InterfaceVersion?

    public init(configuration: Configuration, now: NIODeadline, firstSequenceNumber: UInt32 = 1) {
        self.configuration = configuration
        self.sequenceNumbers = SequenceNumbers(first: firstSequenceNumber)
        self.lastReceived = now
    }

    // MARK: Queries

    /// The session state in the specification's terms.
    public var sessionState: SessionState {
        switch self.state {
        case .idle, .binding: .open
        case .bound(let type), .draining(let type, _): .bound(type)
        case .unbinding: .unbound
        case .closed: .closed
        }
    }

    /// Whether requests may be sent (bound, not unbinding).
    public var isBound: Bool {
        if case .bound = self.state { return true }
        return false
    }

    public var outstandingCount: Int { self.outstanding.count }

    /// Whether another request fits in the window.
    public var hasWindowSpace: Bool { self.isBound && self.outstanding.count < self.configuration.window }

    /// Whether the SMSC accepts TLVs (it announced `sc_interface_version` 3.4 or later).
    public var peerSupportsTLVs: Bool { self.peerInterfaceVersion?.supportsTLVs ?? false }

    /// When ``timerFired(now:)`` must be called next, or `nil` when nothing is pending.
    public var nextDeadline: NIODeadline? {
        var next: NIODeadline?
        func consider(_ deadline: NIODeadline?) {
            guard let deadline else { return }
            next = next.map { min($0, deadline) } ?? deadline
        }
        switch self.state {
        case .idle, .closed: return nil
        case .binding(_, let deadline), .draining(_, let deadline), .unbinding(_, let deadline): consider(deadline)
        case .bound: break
        }
        consider(self.timeouts.first?.deadline)
        if let enquireLink = self.enquireLink {
            consider(enquireLink.deadline)
        } else if let interval = self.configuration.enquireLinkInterval, self.isKeepingAlive {
            consider(self.lastReceived + interval)
        }
        return next
    }

    private var isKeepingAlive: Bool {
        switch self.state {
        case .bound, .draining: true
        default: false
        }
    }

    // MARK: Events

    /// The connection is up: send this bind.
    public mutating func connected(now: NIODeadline) -> SMPPFrame {
        guard case .idle = self.state else { preconditionFailure("connected() in state \(self.state)") }
        let sequenceNumber = self.sequenceNumbers.next()
        self.state = .binding(sequenceNumber: sequenceNumber, deadline: now + self.configuration.bindTimeout)
        self.lastReceived = now
        return SMPPFrame(self.configuration.bindType.request(self.configuration.bind), sequenceNumber: sequenceNumber)
    }

    /// What to do with a request the application wants to send.
    public enum SendAction {
        /// Write this frame; the response completes `request`.
        case write(SMPPFrame)
        /// The request cannot be sent now.
        case reject(ESMESessionError)
    }

    /// The application sends a request (submit_sm, query_sm, …). The session assigns its sequence number.
    public mutating func sendRequest(_ pdu: PDU, for request: Request, now: NIODeadline) -> SendAction {
        guard case .bound = self.state else { return .reject(self.closeReason ?? .notBound) }
        // e.g. submit_sm on a receiver bind
        guard self.sessionState.permits(pdu.commandID, from: .esme) else { return .reject(.notBound) }
        guard self.outstanding.count < self.configuration.window else { return .reject(.windowFull) }
        let sequenceNumber = self.sequenceNumbers.next()
        self.outstanding[sequenceNumber] = request
        self.timeouts.append((sequenceNumber, now + self.configuration.responseTimeout))
        return .write(SMPPFrame(pdu, sequenceNumber: sequenceNumber))
    }

    /// What to do with a received PDU.
    public enum ReceiveAction {
        /// Nothing (an unexpected response, an enquire_link_resp, …).
        case none
        /// Write this answer (enquire_link_resp, generic_nack, a refusal).
        case write(SMPPFrame)
        /// The bind succeeded: the session is usable.
        case bound(BindResponse)
        /// The bind failed: close the connection.
        case bindFailed(ESMESessionError)
        /// The response to `request` arrived (look at its status).
        case succeed(Request, SMPPFrame)
        /// As `succeed`, and it was the last one awaited before unbinding: write `unbind`.
        case succeedThenUnbind(Request, SMPPFrame, unbind: SMPPFrame)
        /// `request` failed.
        case fail(Request, ESMESessionError)
        /// As `fail`, and it was the last one awaited before unbinding: write `unbind`.
        case failThenUnbind(Request, ESMESessionError, unbind: SMPPFrame)
        /// deliver_sm, data_sm or alert_notification for the application, which answers deliver_sm
        /// and data_sm itself (after storing what they carry).
        case deliver(SMPPFrame)
        /// The SMSC unbinds: write `response`, fail `failed` with ``ESMESessionError/unboundByPeer``, close.
        case unboundByPeer(response: SMPPFrame, failed: [Request])
        /// unbind_resp arrived: close the connection.
        case close
    }

    public mutating func frameReceived(_ frame: SMPPFrame, now: NIODeadline) -> ReceiveAction {
        self.lastReceived = now
        if frame.commandID.isResponse {
            return self.responseReceived(frame)
        }
        if case .unknown = frame.pdu {
            return .write(
                SMPPFrame(.genericNack, sequenceNumber: frame.sequenceNumber, commandStatus: .invalidCommandID)
            )
        }
        let state = self.sessionState
        guard state.permits(frame.commandID, from: .smsc) else {
            guard let response = PDU.errorResponse(to: frame.commandID) else { return .none }
            return .write(
                SMPPFrame(
                    response,
                    sequenceNumber: frame.sequenceNumber,
                    commandStatus: state.refusal(for: frame.commandID)
                )
            )
        }
        switch frame.pdu {
        case .enquireLink:
            return .write(SMPPFrame(.enquireLinkResp, sequenceNumber: frame.sequenceNumber))
        case .deliverSM, .dataSM, .alertNotification:
            return .deliver(frame)
        case .unbind:
            let failed = self.takeOutstanding()
            self.closeReason = .unboundByPeer
            self.state = .closed
            return .unboundByPeer(
                response: SMPPFrame(.unbindResp, sequenceNumber: frame.sequenceNumber),
                failed: failed
            )
        default:
            // outbind on an open client connection: nothing to do.
            return .none
        }
    }

    private mutating func responseReceived(_ frame: SMPPFrame) -> ReceiveAction {
        let sequenceNumber = frame.sequenceNumber
        if case .binding(let bindSequence, _) = self.state, sequenceNumber == bindSequence {
            switch frame.pdu {
            case .genericNack:
                return self.bindFailed(.genericNack(frame.commandStatus))
            default:
                guard let (type, response) = frame.pdu.bindResponse, type == self.configuration.bindType else {
                    return .none
                }
                guard frame.commandStatus.isSuccess else { return self.bindFailed(.bindFailed(frame.commandStatus)) }
                self.state = .bound(type)
                self.peerInterfaceVersion = response.tlvs.scInterfaceVersion
                return .bound(response)
            }
        }
        if let enquireLink = self.enquireLink, sequenceNumber == enquireLink.sequenceNumber {
            self.enquireLink = nil
            return .none
        }
        if case .unbinding(let unbindSequence, _) = self.state, sequenceNumber == unbindSequence {
            self.state = .closed
            return .close
        }
        guard let request = self.outstanding.removeValue(forKey: sequenceNumber) else { return .none }
        if case .genericNack = frame.pdu {
            let error = ESMESessionError.genericNack(frame.commandStatus)
            if let unbind = self.unbindIfDrained() { return .failThenUnbind(request, error, unbind: unbind) }
            return .fail(request, error)
        }
        if let unbind = self.unbindIfDrained() { return .succeedThenUnbind(request, frame, unbind: unbind) }
        return .succeed(request, frame)
    }

    private mutating func bindFailed(_ error: ESMESessionError) -> ReceiveAction {
        self.closeReason = error
        self.state = .closed
        return .bindFailed(error)
    }

    /// A PDU arrived whose body could not be decoded.
    public mutating func malformedReceived(_ error: SMPPDecodingError, now: NIODeadline) -> ReceiveAction {
        self.lastReceived = now
        guard let header = error.header else { return .none }
        let sequenceNumber = header.sequenceNumber
        if header.commandID.isResponse {
            if case .binding(let bindSequence, _) = self.state, sequenceNumber == bindSequence {
                return self.bindFailed(.malformedResponse(error))
            }
            guard let request = self.outstanding.removeValue(forKey: sequenceNumber) else { return .none }
            if let unbind = self.unbindIfDrained() {
                return .failThenUnbind(request, .malformedResponse(error), unbind: unbind)
            }
            return .fail(request, .malformedResponse(error))
        }
        guard let response = PDU.errorResponse(to: header.commandID) else { return .none }
        let status = header.commandID.isKnown ? error.commandStatus : .invalidCommandID
        return .write(SMPPFrame(response, sequenceNumber: sequenceNumber, commandStatus: status))
    }

    /// The write of a request failed, so the SMSC never got it. The request fails with
    /// ``ESMESessionError/unencodable(_:)`` when the encoder refused it (an ``SMPPEncodingError``),
    /// else — the connection failed under the write — with the retryable
    /// ``ESMESessionError/connectionClosed``.
    public mutating func writeFailed(sequenceNumber: UInt32, error: any Error) -> ReceiveAction {
        guard let request = self.outstanding.removeValue(forKey: sequenceNumber) else { return .none }
        let failure: ESMESessionError
        if let error = error as? SMPPEncodingError {
            failure = .unencodable(error)
        } else {
            failure = .connectionClosed
        }
        if let unbind = self.unbindIfDrained() { return .failThenUnbind(request, failure, unbind: unbind) }
        return .fail(request, failure)
    }

    /// What timers require.
    public struct TimerAction {
        /// Requests whose response did not arrive in time: fail them with ``ESMESessionError/responseTimeout``.
        public var timedOut: [Request] = []
        /// Frames to write (enquire_link, unbind).
        public var writes: [SMPPFrame] = []
        /// Close the connection for this reason.
        public var close: ESMESessionError?
    }

    public mutating func timerFired(now: NIODeadline) -> TimerAction {
        var action = TimerAction()
        switch self.state {
        case .binding(_, let deadline) where now >= deadline:
            self.closeReason = .bindTimeout
            self.state = .closed
            action.close = .bindTimeout
            return action
        case .draining(_, let deadline) where now >= deadline, .unbinding(_, let deadline) where now >= deadline:
            // Unbind took too long: close; what is still outstanding fails as the connection closes.
            self.state = .closed
            action.close = .connectionClosed
            return action
        default:
            break
        }
        while let first = self.timeouts.first, first.deadline <= now {
            self.timeouts.removeFirst()
            if let request = self.outstanding.removeValue(forKey: first.sequenceNumber) {
                action.timedOut.append(request)
            }
        }
        if let unbind = self.unbindIfDrained() { action.writes.append(unbind) }
        if let enquireLink = self.enquireLink {
            if now >= enquireLink.deadline {
                self.closeReason = .peerNotResponding
                self.state = .closed
                action.close = .peerNotResponding
            }
        } else if let interval = self.configuration.enquireLinkInterval, self.isKeepingAlive,
            now - self.lastReceived >= interval
        {
            let sequenceNumber = self.sequenceNumbers.next()
            self.enquireLink = (sequenceNumber, now + self.configuration.enquireLinkTimeout)
            action.writes.append(SMPPFrame(.enquireLink, sequenceNumber: sequenceNumber))
        }
        return action
    }

    /// What a graceful unbind requires now.
    public enum UnbindAction {
        /// Write this unbind; close when ``ReceiveAction/close`` follows.
        case write(SMPPFrame)
        /// Wait for outstanding responses (the unbind follows from a later event).
        case wait
        /// Not bound: just close.
        case close
    }

    /// The application wants to unbind, after the responses still awaited arrive (up to the unbind timeout).
    public mutating func unbindRequested(now: NIODeadline) -> UnbindAction {
        switch self.state {
        case .idle, .binding, .closed:
            self.state = .closed
            return .close
        case .bound(let type):
            self.state = .draining(type, deadline: now + self.configuration.unbindTimeout)
            if let unbind = self.unbindIfDrained() { return .write(unbind) }
            return .wait
        case .draining, .unbinding:
            return .wait
        }
    }

    /// The connection closed: fail every request still awaited, with the returned error.
    public mutating func connectionClosed() -> (failed: [Request], error: ESMESessionError) {
        let failed = self.takeOutstanding()
        self.state = .closed
        self.enquireLink = nil
        return (failed, self.closeReason ?? .connectionClosed)
    }

    // MARK: Helpers

    /// When draining and nothing is outstanding any more: move to `unbinding` and return the unbind frame.
    private mutating func unbindIfDrained() -> SMPPFrame? {
        guard case .draining(_, let deadline) = self.state, self.outstanding.isEmpty else { return nil }
        let sequenceNumber = self.sequenceNumbers.next()
        self.state = .unbinding(sequenceNumber: sequenceNumber, deadline: deadline)
        return SMPPFrame(.unbind, sequenceNumber: sequenceNumber)
    }

    /// Every outstanding request in send order, removing them.
    private mutating func takeOutstanding() -> [Request] {
        var requests: [Request] = []
        requests.reserveCapacity(self.outstanding.count)
        for entry in self.timeouts {
            if let request = self.outstanding.removeValue(forKey: entry.sequenceNumber) { requests.append(request) }
        }
        self.timeouts.removeAll()
        return requests
    }
}
