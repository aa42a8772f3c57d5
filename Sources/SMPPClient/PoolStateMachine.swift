import DequeModule
internal import NIOCore
internal import SMPP

/// The connector's pool as a value type with no I/O: session slots and their reconnects with host
/// failover, two lanes of waiting submits, the shared token bucket, least-loaded dispatch, and
/// throttling back-off that resends a refused message first. Each event returns what the caller
/// must do; time is an input.
struct PoolStateMachine<Waiter> {
    struct Settings: Sendable {
        var window: Int
        var endpoints: Int
        var throughput: Double?
        var reconnectBackoff: Backoff
        var throttleBackoff: Backoff
        var maxThrottleRetries: Int
        var queueTimeout: TimeAmount
        var maxQueued: Int
    }

    /// The unchanging part of a waiting submit, shared by reference: moving a submit between the
    /// queue, the session and the response costs one retain instead of copying the whole PDU.
    final class Request {
        let ticket: UInt64
        let pdu: PDU
        let priority: SubmitPriority
        let enqueuedAt: NIODeadline
        /// When it leaves the queue unsent: the queue timeout, or the caller's send-by time if sooner.
        let deadline: NIODeadline
        /// The caller's send-by time, when it comes before the queue timeout.
        let sendBy: NIODeadline?
        let waiter: Waiter

        init(
            ticket: UInt64,
            pdu: PDU,
            priority: SubmitPriority,
            enqueuedAt: NIODeadline,
            deadline: NIODeadline,
            sendBy: NIODeadline?,
            waiter: Waiter
        ) {
            self.ticket = ticket
            self.pdu = pdu
            self.priority = priority
            self.enqueuedAt = enqueuedAt
            self.deadline = deadline
            self.sendBy = sendBy
            self.waiter = waiter
        }
    }

    struct Pending {
        let request: Request
        var throttleRetries = 0

        init(
            ticket: UInt64,
            pdu: PDU,
            priority: SubmitPriority,
            enqueuedAt: NIODeadline,
            deadline: NIODeadline,
            sendBy: NIODeadline? = nil,
            waiter: Waiter
        ) {
            self.request = Request(
                ticket: ticket,
                pdu: pdu,
                priority: priority,
                enqueuedAt: enqueuedAt,
                deadline: deadline,
                sendBy: sendBy,
                waiter: waiter
            )
        }

        var ticket: UInt64 { self.request.ticket }
        var pdu: PDU { self.request.pdu }
        var priority: SubmitPriority { self.request.priority }
        var enqueuedAt: NIODeadline { self.request.enqueuedAt }
        var deadline: NIODeadline { self.request.deadline }
        var waiter: Waiter { self.request.waiter }

        /// Why it left the queue unsent at its deadline.
        var expiry: SMPPClientError { self.request.sendBy == nil ? .queueTimeout : .expired }
    }

    enum SlotState: Equatable {
        /// Not started (or stopped while draining). Next: `connecting`.
        case idle
        /// Connecting or binding to this endpoint. Next: `bound`, `connecting` (the next endpoint),
        /// `waiting`, `stopped` (in alert), `idle` (draining).
        case connecting(endpoint: Int)
        /// Takes submits. Next: `closing`, `waiting` / `stopped` / `idle` (closed).
        case bound
        /// The bound session is going (unbound, dead, disconnected): it takes no more submits while
        /// its outstanding ones fail. Next: `waiting`, `stopped` (in alert), `idle` (draining).
        case closing
        /// Backing off before the next connect round. Next: `connecting`, `stopped` (alert), `idle`.
        case waiting(until: NIODeadline)
        /// No more reconnects (credentials refused). Next: `connecting` (resumed), `idle`.
        case stopped
    }

    struct Slot {
        let id: Int
        let bindType: BindType
        var state: SlotState = .idle
        var endpoint = 0
        /// Failed connect rounds since the last bind (the back-off step).
        var round = 0
        var inFlight = 0
        var pausedUntil: NIODeadline?
        var throttleStreak = 0
        var sent = 0
        var errors = 0
        var reconnects = 0
        var lastError: String?
        var boundEndpoint: Int?

        /// Whether a bound session is open on the slot, taking submits or closing.
        var hasBoundSession: Bool { self.state == .bound || self.state == .closing }
    }

    enum Mode: Equatable {
        case running
        case paused
        /// Credentials refused: no reconnects; bound sessions keep serving.
        case alert(String)
        case draining
        case stopped
    }

    let settings: Settings
    private(set) var mode: Mode = .running
    private(set) var slots: [Slot]
    private var urgent: Deque<Pending> = []
    private var normal: Deque<Pending> = []
    private var bucket: TokenBucket?
    private var nextTicket: UInt64 = 0
    /// The earliest send-by time among queued submits that have one before their queue timeout
    /// (maybe of one sent since: then a scan finds nothing and moves it on). Queue timeouts come in
    /// ticket order, so the head of a lane is the first to time out; send-by times do not.
    private var earliestSendBy: NIODeadline?
    /// Random values in 0…1 for back-off jitter.
    private let unitRandom: () -> Double

    init(settings: Settings, bindTypes: [BindType], now: NIODeadline, unitRandom: @escaping () -> Double) {
        self.settings = settings
        self.slots = bindTypes.enumerated().map { Slot(id: $0.offset, bindType: $0.element) }
        self.bucket = settings.throughput.map { TokenBucket(rate: $0, now: now) }
        self.unitRandom = unitRandom
    }

    var queuedUrgent: Int { self.urgent.count }
    var queuedNormal: Int { self.normal.count }
    var queued: Int { self.urgent.count + self.normal.count }

    /// Whether submits go to sessions (running, or in alert with sessions still bound).
    private var isDispatching: Bool {
        switch self.mode {
        case .running, .alert: true
        case .paused, .draining, .stopped: false
        }
    }

    /// Whether slots reconnect after their back-off (not in alert, not when shutting down).
    private var isReconnecting: Bool { self.mode == .running || self.mode == .paused }

    /// Sessions bound and not closing.
    var boundSessions: Int { self.slots.count { $0.state == .bound } }

    /// Whether some slot can take submits now or soon (bound, transmitting).
    var hasSubmittingSession: Bool {
        self.slots.contains { $0.state == .bound && $0.bindType.canSubmit }
    }

    // MARK: Actions

    /// Submits to hand to sessions, and submits whose deadline passed before a session took them
    /// (each fails with its ``Pending/expiry``).
    struct Dispatch {
        var batches: [(slot: Int, pendings: [Pending])] = []
        var expired: [Pending] = []
        var isEmpty: Bool { self.batches.isEmpty && self.expired.isEmpty }
    }

    /// A submit whose outcome is known.
    struct Resolution {
        var pending: Pending
        var result: Result<SMPPFrame, SMPPClientError>
    }

    /// What to do about one slot's connection.
    enum SlotAction: Equatable {
        case connect(slot: Int, endpoint: Int)
        case none
    }

    // MARK: Lifecycle

    /// Starts every slot: connect each to the first endpoint.
    mutating func start() -> [SlotAction] {
        self.slots.indices.compactMap { index in
            guard self.slots[index].state == .idle else { return nil }
            self.slots[index].state = .connecting(endpoint: 0)
            self.slots[index].endpoint = 0
            return .connect(slot: index, endpoint: 0)
        }
    }

    mutating func pause() {
        if self.mode == .running { self.mode = .paused }
    }

    /// Resumes a paused connector, or clears an alert and starts reconnecting. Arm the timer after
    /// it (``nextWakeup(now:)``): submits still queued wait for tokens or for a session.
    mutating func resume(now: NIODeadline) -> (connects: [SlotAction], dispatch: Dispatch) {
        switch self.mode {
        case .paused:
            self.mode = .running
            return ([], self.dispatch(now: now))
        case .alert:
            self.mode = .running
            var connects: [SlotAction] = []
            for index in self.slots.indices where self.slots[index].state == .stopped {
                self.slots[index].state = .connecting(endpoint: 0)
                self.slots[index].endpoint = 0
                self.slots[index].round = 0
                connects.append(.connect(slot: index, endpoint: 0))
            }
            return (connects, self.dispatch(now: now))
        default:
            return ([], Dispatch())
        }
    }

    /// Graceful shutdown: refuse new submits, give back everything queued, and name the bound slots to unbind.
    mutating func drain() -> (queued: [Pending], unbind: [Int]) {
        self.mode = .draining
        let queued = self.takeQueued()
        var unbind: [Int] = []
        for index in self.slots.indices {
            switch self.slots[index].state {
            case .bound, .connecting: unbind.append(index)
            case .closing: break
            default: self.slots[index].state = .idle
            }
        }
        return (queued, unbind)
    }

    /// Takes out every submit waiting for a session (the caller fails them), and goes on running:
    /// what sessions hold is still answered.
    mutating func takeQueued() -> [Pending] {
        let queued = Array(self.urgent) + Array(self.normal)
        self.urgent = []
        self.normal = []
        self.earliestSendBy = nil
        return queued
    }

    mutating func stopped() {
        self.mode = .stopped
    }

    // MARK: Submits

    enum EnqueueAction {
        case dispatch(Dispatch)
        case reject(SMPPClientError)
    }

    /// Queues submits (all of them or none), in order, and dispatches what can go now. Each waits
    /// until the queue timeout, or until `sendBy` if that comes first (then it fails with
    /// ``SMPPClientError/expired``).
    mutating func enqueue(
        _ items: [(pdu: PDU, waiter: Waiter)],
        priority: SubmitPriority,
        sendBy: NIODeadline? = nil,
        now: NIODeadline
    ) -> EnqueueAction {
        switch self.mode {
        case .draining, .stopped: return .reject(.shuttingDown)
        case .paused: return .reject(.unavailable("connector paused"))
        case .alert(let reason) where !self.hasSubmittingSession: return .reject(.unavailable(reason))
        case .running, .alert: break
        }
        guard self.slots.contains(where: { $0.bindType.canSubmit }) else {
            return .reject(.unavailable("connector has no transmitting bind"))
        }
        guard self.queued + items.count <= self.settings.maxQueued else { return .reject(.queueFull) }
        let timeout = now + self.settings.queueTimeout
        let sendBy = sendBy.flatMap { $0 < timeout ? $0 : nil }
        if let sendBy { self.earliestSendBy = min(self.earliestSendBy ?? sendBy, sendBy) }
        for item in items {
            self.nextTicket += 1
            let pending = Pending(
                ticket: self.nextTicket,
                pdu: item.pdu,
                priority: priority,
                enqueuedAt: now,
                deadline: sendBy ?? timeout,
                sendBy: sendBy,
                waiter: item.waiter
            )
            switch priority {
            case .urgent: self.urgent.append(pending)
            case .normal: self.normal.append(pending)
            }
        }
        return .dispatch(self.dispatch(now: now))
    }

    /// Hands waiting submits to the least-loaded eligible sessions, within the token bucket. A
    /// submit whose deadline passed (its send-by time, before the timer came) is not sent: it is
    /// in ``Dispatch/expired``.
    mutating func dispatch(now: NIODeadline) -> Dispatch {
        var dispatch = Dispatch()
        guard self.isDispatching else { return dispatch }
        var batchIndex: [Int: Int] = [:]
        // The next is the urgent lane's first, else the normal lane's.
        while let next = self.urgent.first ?? self.normal.first {
            guard let index = self.leastLoaded(now: now) else { break }
            if next.deadline <= now {
                dispatch.expired.append(self.removeNext())
                continue
            }
            if self.bucket != nil, !self.bucket!.take(now: now) { break }
            let pending = self.removeNext()
            self.slots[index].inFlight += 1
            if let position = batchIndex[index] {
                dispatch.batches[position].pendings.append(pending)
            } else {
                batchIndex[index] = dispatch.batches.count
                dispatch.batches.append((index, [pending]))
            }
        }
        return dispatch
    }

    /// Takes out the next submit to go: the urgent lane's first, else the normal lane's.
    private mutating func removeNext() -> Pending {
        self.urgent.isEmpty ? self.normal.removeFirst() : self.urgent.removeFirst()
    }

    private mutating func leastLoaded(now: NIODeadline) -> Int? {
        var best: Int?
        for index in self.slots.indices {
            let slot = self.slots[index]
            guard slot.state == .bound, slot.bindType.canSubmit, slot.inFlight < self.settings.window else { continue }
            if let paused = slot.pausedUntil {
                guard paused <= now else { continue }
                self.slots[index].pausedUntil = nil
            }
            if best == nil || slot.inFlight < self.slots[best!].inFlight { best = index }
        }
        return best
    }

    /// A session answered (or failed) a submit.
    enum Outcome {
        case response(SMPPFrame)
        case failure(ESMESessionError)
    }

    mutating func completed(
        slot index: Int,
        pending: Pending,
        outcome: Outcome,
        now: NIODeadline
    ) -> (resolution: Resolution?, throttled: Bool, dispatch: Dispatch) {
        self.slots[index].inFlight = max(0, self.slots[index].inFlight - 1)
        var resolution: Resolution?
        var throttled = false
        switch outcome {
        case .response(let frame) where frame.commandStatus.isSuccess:
            self.slots[index].sent += 1
            self.slots[index].throttleStreak = 0
            resolution = Resolution(pending: pending, result: .success(frame))
        case .response(let frame) where frame.commandStatus == .throttled || frame.commandStatus == .messageQueueFull:
            throttled = true
            self.slots[index].lastError = "\(frame.commandStatus)"
            if pending.throttleRetries < self.settings.maxThrottleRetries {
                var retry = pending
                retry.throttleRetries += 1
                // The whole session pauses, growing while throttling repeats; the message goes back to the
                // front of its lane, before anything queued after it.
                let pause = self.settings.throttleBackoff.delay(
                    step: self.slots[index].throttleStreak,
                    unit: self.unitRandom()
                )
                self.slots[index].pausedUntil = max(self.slots[index].pausedUntil ?? now, now + pause)
                self.slots[index].throttleStreak += 1
                self.insertAtFront(retry)
            } else {
                self.slots[index].errors += 1
                resolution = Resolution(pending: pending, result: .failure(.rejected(frame.commandStatus)))
            }
        case .response(let frame):
            self.slots[index].errors += 1
            self.slots[index].lastError = "\(frame.commandStatus)"
            resolution = Resolution(pending: pending, result: .failure(.rejected(frame.commandStatus)))
        case .failure(let error):
            self.slots[index].errors += 1
            self.slots[index].lastError = "\(error)"
            resolution = Resolution(pending: pending, result: .failure(.session(error)))
        }
        return (resolution, throttled, self.dispatch(now: now))
    }

    /// Why a session handed submits back.
    enum Refusal {
        /// The session is closing (or not there): the slot still counts the submits in flight, and
        /// is taken out of dispatch.
        case closing
        /// The session had already closed when they reached it: ``closed(slot:reason:now:)`` has
        /// stopped counting them (the slot may have a new session by now).
        case closed
    }

    /// A session could not take submits after all: queue them again, first. They never go back to a
    /// session that refused them.
    mutating func requeue(slot index: Int, pendings: [Pending], because refusal: Refusal, now: NIODeadline) -> Dispatch
    {
        if refusal == .closing {
            self.closing(slot: index)
            self.slots[index].inFlight = max(0, self.slots[index].inFlight - pendings.count)
        }
        for pending in pendings { self.insertAtFront(pending) }
        return self.dispatch(now: now)
    }

    /// Inserts into the front of the pending's lane, keeping ticket order among re-queued submits.
    private mutating func insertAtFront(_ pending: Pending) {
        func insert(into lane: inout Deque<Pending>) {
            var position = 0
            while position < lane.count, lane[position].ticket < pending.ticket { position += 1 }
            lane.insert(pending, at: position)
        }
        switch pending.priority {
        case .urgent: insert(into: &self.urgent)
        case .normal: insert(into: &self.normal)
        }
    }

    // MARK: Connections

    /// The TCP/TLS connection of a slot could not be opened.
    mutating func connectFailed(slot index: Int, error: String, now: NIODeadline) -> SlotAction {
        self.slots[index].lastError = error
        return self.nextAttempt(slot: index, now: now)
    }

    /// A bound session is going: take it out of dispatch. Called before its outstanding submits fail,
    /// so that their completions hand the queue to other sessions, never back to this one.
    mutating func closing(slot index: Int) {
        if self.slots[index].state == .bound { self.slots[index].state = .closing }
    }

    mutating func bound(slot index: Int, now: NIODeadline) -> Dispatch {
        guard case .connecting(let endpoint) = self.slots[index].state else { return Dispatch() }
        self.slots[index].state = .bound
        self.slots[index].boundEndpoint = endpoint
        self.slots[index].round = 0
        self.slots[index].throttleStreak = 0
        self.slots[index].pausedUntil = nil
        return self.dispatch(now: now)
    }

    enum BindFailureAction {
        /// The connection closes next, and ``closed(slot:reason:now:)`` decides what follows.
        case none
        /// Credentials refused: the connector is in alert and reconnects no more; fail these waiting submits.
        case alert(failing: [Pending], reason: String)
    }

    /// The SMSC refused a bind (the session closes the connection next).
    mutating func bindFailed(slot index: Int, error: ESMESessionError, now: NIODeadline) -> BindFailureAction {
        self.slots[index].lastError = "\(error)"
        self.slots[index].errors += 1
        guard case .bindFailed(let status) = error, status.isCredentialError else { return .none }
        let reason = "bind refused: \(status)"
        if self.mode == .running || self.mode == .paused { self.mode = .alert(reason) }
        for other in self.slots.indices {
            switch self.slots[other].state {
            case .idle, .waiting: self.slots[other].state = .stopped
            // A connection being opened or bound finishes on its own: a bind that succeeds serves, one that
            // fails stops (see `nextAttempt`).
            case .connecting, .bound, .closing, .stopped: break
            }
        }
        self.slots[index].state = .stopped
        var failing: [Pending] = []
        if !self.hasSubmittingSession {
            failing = Array(self.urgent) + Array(self.normal)
            self.urgent = []
            self.normal = []
        }
        return .alert(failing: failing, reason: reason)
    }

    /// A slot's connection closed (after its outstanding requests were failed).
    mutating func closed(slot index: Int, reason: String?, now: NIODeadline) -> SlotAction {
        let wasBound = self.slots[index].hasBoundSession
        self.slots[index].inFlight = 0
        self.slots[index].boundEndpoint = nil
        if let reason { self.slots[index].lastError = reason }
        switch self.mode {
        case .draining, .stopped:
            self.slots[index].state = .idle
            return .none
        default:
            break
        }
        if self.slots[index].state == .stopped { return .none }
        guard wasBound else {
            // Closed while connecting or binding: try the next endpoint.
            return self.nextAttempt(slot: index, now: now)
        }
        // A bound session dropped: back off (never a hot loop), then start again from the primary;
        // in alert, stop until resumed.
        self.slots[index].reconnects += 1
        self.slots[index].endpoint = 0
        if case .alert = self.mode {
            self.slots[index].state = .stopped
        } else {
            self.wait(slot: index, now: now)
        }
        return .none
    }

    /// After a failure on endpoint N: try N+1 at once; after the last endpoint, wait a back-off step.
    private mutating func nextAttempt(slot index: Int, now: NIODeadline) -> SlotAction {
        switch self.mode {
        case .draining, .stopped:
            self.slots[index].state = .idle
            return .none
        case .alert:
            self.slots[index].state = .stopped
            return .none
        default:
            break
        }
        let next = self.slots[index].endpoint + 1
        if next < self.settings.endpoints {
            self.slots[index].endpoint = next
            self.slots[index].state = .connecting(endpoint: next)
            return .connect(slot: index, endpoint: next)
        }
        self.slots[index].endpoint = 0
        self.wait(slot: index, now: now)
        return .none
    }

    private mutating func wait(slot index: Int, now: NIODeadline) {
        let delay = self.settings.reconnectBackoff.delay(step: self.slots[index].round, unit: self.unitRandom())
        self.slots[index].round += 1
        self.slots[index].state = .waiting(until: now + delay)
    }

    // MARK: Time

    struct TimerAction {
        var connects: [SlotAction] = []
        /// What to send, and every submit whose deadline passed.
        var dispatch = Dispatch()
    }

    mutating func timerFired(now: NIODeadline) -> TimerAction {
        var action = TimerAction()
        for index in self.slots.indices where self.isReconnecting {
            if case .waiting(let until) = self.slots[index].state, until <= now {
                let endpoint = self.slots[index].endpoint
                self.slots[index].state = .connecting(endpoint: endpoint)
                action.connects.append(.connect(slot: index, endpoint: endpoint))
            }
        }
        var expired: [Pending] = []
        for priority in SubmitPriority.allCases {
            while let first = priority == .urgent ? self.urgent.first : self.normal.first, first.deadline <= now {
                expired.append(first)
                if priority == .urgent { self.urgent.removeFirst() } else { self.normal.removeFirst() }
            }
        }
        if let earliest = self.earliestSendBy, earliest <= now {
            expired += self.removeExpiredSendBy(now: now)
        }
        action.dispatch = self.dispatch(now: now)
        action.dispatch.expired = expired + action.dispatch.expired
        return action
    }

    /// Takes out every queued submit whose send-by time passed, wherever it waits, and finds the
    /// next earliest send-by time.
    private mutating func removeExpiredSendBy(now: NIODeadline) -> [Pending] {
        var expired: [Pending] = []
        var earliest: NIODeadline?
        func sweep(_ lane: inout Deque<Pending>) {
            guard lane.contains(where: { $0.request.sendBy != nil }) else { return }
            var kept = Deque<Pending>()
            kept.reserveCapacity(lane.count)
            for pending in lane {
                if pending.deadline <= now {
                    expired.append(pending)
                    continue
                }
                if let sendBy = pending.request.sendBy { earliest = min(earliest ?? sendBy, sendBy) }
                kept.append(pending)
            }
            lane = kept
        }
        sweep(&self.urgent)
        sweep(&self.normal)
        self.earliestSendBy = earliest
        return expired
    }

    /// When ``timerFired(now:)`` must run next: a reconnect due, a paused session resuming while
    /// submits wait, the next token, or a queue deadline. Only what that call would act on counts, so
    /// the timer never fires again and again for nothing.
    mutating func nextWakeup(now: NIODeadline) -> NIODeadline? {
        var next: NIODeadline?
        func consider(_ deadline: NIODeadline) { next = next.map { min($0, deadline) } ?? deadline }
        for slot in self.slots where self.isReconnecting {
            if case .waiting(let until) = slot.state { consider(until) }
        }
        if self.queued > 0 {
            if let first = self.urgent.first { consider(first.deadline) }
            if let first = self.normal.first { consider(first.deadline) }
            if let earliest = self.earliestSendBy { consider(earliest) }
            guard self.isDispatching else { return next }
            for slot in self.slots where slot.state == .bound && slot.inFlight < self.settings.window {
                if let paused = slot.pausedUntil { consider(paused) }
            }
            if self.bucket != nil, self.leastLoadedExists(now: now) {
                consider(self.bucket!.nextToken(now: now))
            }
        }
        return next
    }

    private func leastLoadedExists(now: NIODeadline) -> Bool {
        self.slots.contains { slot in
            slot.state == .bound && slot.bindType.canSubmit && slot.inFlight < self.settings.window
                && (slot.pausedUntil.map { $0 <= now } ?? true)
        }
    }
}

extension PoolStateMachine.Pending: Sendable where Waiter: Sendable {}
// Immutable after creation.
extension PoolStateMachine.Request: @unchecked Sendable where Waiter: Sendable {}
