import DequeModule
import Foundation
internal import Logging
internal import NIOCore
internal import SMPP
import Synchronization

/// The state all sessions share: stored messages, the session registry, receipts waiting for their
/// delay, deliveries waiting for a receiving session, counters and the live configuration.
/// Every method takes the lock once and does no I/O under it.
final class SimulatorCore: Sendable {
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    /// The loop that runs the receipt timer.
    private let timerLoop: any EventLoop
    private let state: Mutex<State>
    /// Bumped on every configuration change, so sessions can cache the configuration.
    private let version = Atomic<Int>(0)

    /// The most deliveries kept while no session can receive them; older ones are dropped.
    static let pendingCapacity = 100_000

    init(configuration: SimulatorConfiguration, logger: Logger, eventLoopGroup: any EventLoopGroup) {
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.timerLoop = eventLoopGroup.next()
        self.state = Mutex(State(configuration: configuration))
    }

    struct SessionRecord {
        let handle: SessionHandle
        var systemID: String?
        var bindType: BindType?
    }

    struct GroupKey: Hashable {
        var systemID: String
        var source: String
        var destination: String
        var reference: UInt16
        var total: UInt8
    }

    struct Group {
        var messageID: String
        var received: Set<UInt8>
    }

    /// What makes two submits identical for the duplicate window: the same login sending the same
    /// user data from the same source to the same destination.
    struct DuplicateKey: Hashable {
        var systemID: String
        var source: String
        var destination: String
        var userData: [UInt8]
    }

    struct FloodState {
        var last: NIODeadline
        var chain: Int
    }

    struct Stored {
        var message: SimulatedMessage
        var finalAt: NIODeadline
        var cancelled = false
    }

    struct State {
        var configuration: SimulatorConfiguration
        var random: SplitMix64
        var ids: MessageIDGenerator
        var messages: [String: Stored] = [:]
        var order: Deque<String> = []
        var groups: [GroupKey: Group] = [:]
        var groupOrder: Deque<GroupKey> = []
        var duplicates: [DuplicateKey: NIODeadline] = [:]
        var duplicateOrder: Deque<(NIODeadline, DuplicateKey)> = []
        var flood: [String: FloodState] = [:]
        var sessions: [Int: SessionRecord] = [:]
        var nextSessionID = 1
        var roundRobin = 0
        var pending: [String: Deque<Delivery>] = [:]
        var pendingCount = 0
        var scheduled: Deque<ScheduledReceipt> = []
        var timerDeadline: NIODeadline?
        var counters = SimulatorCounters()
        var nextMOID = 1
        var stopped = false

        init(configuration: SimulatorConfiguration) {
            self.configuration = configuration
            let seed = configuration.seed ?? UInt64.random(in: 0...UInt64.max)
            self.random = SplitMix64(seed: seed)
            self.ids = MessageIDGenerator(
                format: configuration.messageIDFormat,
                receiptFormat: configuration.receiptIDFormat,
                receiptWidth: configuration.receiptIDWidth,
                seed: seed &+ 1
            )
        }
    }

    // MARK: Configuration and counters

    var configuration: SimulatorConfiguration {
        self.state.withLock { $0.configuration }
    }

    /// The number of configuration changes so far (an atomic load, no lock).
    var configurationVersion: Int { self.version.load(ordering: .acquiring) }

    /// The configuration and its version, read together.
    func versionedConfiguration() -> (SimulatorConfiguration, Int) {
        self.state.withLock { ($0.configuration, self.version.load(ordering: .relaxed)) }
    }

    /// Changes the live behaviour (listeners are not affected).
    func updateConfiguration(_ body: (inout SimulatorConfiguration) -> Void) {
        self.state.withLock { state in
            body(&state.configuration)
            self.version.add(1, ordering: .releasing)
            state.ids = MessageIDGenerator(
                format: state.configuration.messageIDFormat,
                receiptFormat: state.configuration.receiptIDFormat,
                receiptWidth: state.configuration.receiptIDWidth,
                seed: state.random.next()
            )
        }
    }

    func count(_ body: (inout SimulatorCounters) -> Void) {
        self.state.withLock { body(&$0.counters) }
    }

    var counters: SimulatorCounters {
        self.state.withLock { $0.counters }
    }

    /// Forgets stored messages, receipts not yet sent, pending deliveries and counters. Sessions stay.
    func reset() {
        self.state.withLock { state in
            state.messages = [:]
            state.order = []
            state.groups = [:]
            state.groupOrder = []
            state.duplicates = [:]
            state.duplicateOrder = []
            state.flood = [:]
            state.pending = [:]
            state.pendingCount = 0
            state.scheduled = []
            state.counters = SimulatorCounters()
        }
    }

    func stop() {
        self.state.withLock { $0.stopped = true }
    }

    // MARK: Sessions

    func nextSessionID() -> Int {
        self.state.withLock { state in
            defer { state.nextSessionID += 1 }
            return state.nextSessionID
        }
    }

    func register(_ handle: SessionHandle) {
        self.state.withLock { state in
            state.sessions[handle.id] = SessionRecord(handle: handle)
            state.counters.connections += 1
        }
    }

    func unregister(_ sessionID: Int) {
        self.state.withLock { state in
            state.sessions[sessionID] = nil
            state.counters.disconnections += 1
        }
    }

    enum BindDecision {
        case accept(closing: [SessionHandle], pending: [Delivery])
        case refuse(CommandStatus)
    }

    /// Checks a bind against the users file and session limits, and records the session as bound.
    func bind(sessionID: Int, type: BindType, bind: Bind) -> BindDecision {
        self.state.withLock { state in
            let configuration = state.configuration
            if let users = configuration.users {
                guard let user = users.first(where: { $0.systemID == bind.systemID }) else {
                    state.counters.bindFailures += 1
                    return .refuse(.invalidSystemID)
                }
                guard user.password == bind.password else {
                    state.counters.bindFailures += 1
                    return .refuse(.invalidPassword)
                }
                guard user.bindTypes.isEmpty || user.bindTypes.contains(type) else {
                    state.counters.bindFailures += 1
                    return .refuse(.bindFailed)
                }
                if let limit = user.maxSessions, !configuration.conventions.singleSessionPerLogin {
                    let bound = state.sessions.values.filter { $0.systemID == bind.systemID && $0.bindType != nil }
                        .count
                    guard bound < limit else {
                        state.counters.bindFailures += 1
                        return .refuse(.bindFailed)
                    }
                }
            }
            var closing: [SessionHandle] = []
            if configuration.conventions.singleSessionPerLogin {
                for (id, record) in state.sessions where id != sessionID && record.systemID == bind.systemID {
                    closing.append(record.handle)
                    state.sessions[id]?.systemID = nil
                    state.sessions[id]?.bindType = nil
                }
            }
            state.sessions[sessionID]?.systemID = bind.systemID
            state.sessions[sessionID]?.bindType = type
            state.counters.binds += 1
            var pending: [Delivery] = []
            if type.canReceive {
                for key in [bind.systemID, ""] {
                    if let queue = state.pending.removeValue(forKey: key) {
                        pending.append(contentsOf: queue)
                        state.pendingCount -= queue.count
                    }
                }
            }
            return .accept(closing: closing, pending: pending)
        }
    }

    /// A session stopped being bound: by an unbind (either side), or by losing its connection.
    func unbound(sessionID: Int, byUnbind: Bool) {
        self.state.withLock { state in
            state.sessions[sessionID]?.bindType = nil
            if byUnbind { state.counters.unbinds += 1 }
        }
    }

    func sessionHandles() -> [SessionHandle] {
        self.state.withLock { state in state.sessions.values.map(\.handle).sorted { $0.id < $1.id } }
    }

    func sessionHandle(_ id: Int) -> SessionHandle? {
        self.state.withLock { $0.sessions[id]?.handle }
    }

    // MARK: Routing deliveries

    /// Sends each delivery to a receiving session of its login (the preferred one first), or keeps it
    /// until one binds.
    func route(_ deliveries: [Delivery]) {
        guard !deliveries.isEmpty else { return }
        var targets: [(SessionHandle, Delivery)] = []
        self.state.withLock { state in
            for delivery in deliveries {
                if let handle = Self.receiver(for: delivery, in: &state) {
                    targets.append((handle, delivery))
                } else {
                    Self.keep(delivery, in: &state)
                }
            }
        }
        for (handle, delivery) in targets { handle.deliver(delivery) }
    }

    /// Keeps a delivery until a receiving session binds (a session that could not take it gave it back).
    func keep(_ delivery: Delivery) {
        self.state.withLock { Self.keep(delivery, in: &$0) }
    }

    private static func receiver(for delivery: Delivery, in state: inout State) -> SessionHandle? {
        func receives(_ record: SessionRecord) -> Bool {
            guard let type = record.bindType, type.canReceive else { return false }
            return delivery.systemID == nil || record.systemID == delivery.systemID
        }
        if let preferred = delivery.preferredSession, let record = state.sessions[preferred], receives(record) {
            return record.handle
        }
        let candidates = state.sessions.values.filter(receives).sorted { $0.handle.id < $1.handle.id }
        guard !candidates.isEmpty else { return nil }
        state.roundRobin &+= 1
        return candidates[state.roundRobin % candidates.count].handle
    }

    private static func keep(_ delivery: Delivery, in state: inout State) {
        state.pending[delivery.pendingKey, default: []].append(delivery)
        state.pendingCount += 1
        if state.pendingCount > pendingCapacity, let key = state.pending.first(where: { !$0.value.isEmpty })?.key {
            state.pending[key]?.removeFirst()
            state.pendingCount -= 1
        }
    }

    /// Records the outcome of a deliver_sm: acknowledged, or failed for good.
    func delivered(_ delivery: Delivery, acknowledged: Bool) {
        self.state.withLock { state in
            switch delivery.kind {
            case .receipt(let key, _, _):
                if acknowledged { state.counters.receiptsAcknowledged += 1 } else { state.counters.receiptsFailed += 1 }
                if state.messages[key]?.message.receipt == .sent {
                    state.messages[key]?.message.receipt = acknowledged ? .acknowledged : .failed
                }
            case .mo:
                if acknowledged { state.counters.moAcknowledged += 1 } else { state.counters.moFailed += 1 }
            }
        }
    }

    /// A deliver_sm went out.
    func sent(_ delivery: Delivery) {
        self.state.withLock { state in
            switch delivery.kind {
            case .receipt:
                state.counters.receiptsSent += 1
                if delivery.attempts > 0 { state.counters.receiptRetries += 1 }
            case .mo:
                state.counters.moSent += 1
                if delivery.attempts > 0 { state.counters.moRetries += 1 }
            }
        }
    }

    /// Tries a delivery again after the retry interval, or gives up after the configured attempts.
    func retry(_ delivery: Delivery) {
        var delivery = delivery
        delivery.attempts += 1
        let (attempts, interval) = self.state.withLock {
            ($0.configuration.deliveryAttempts, $0.configuration.deliveryRetryInterval)
        }
        guard delivery.attempts < attempts else {
            self.delivered(delivery, acknowledged: false)
            self.logger.warning("delivery dropped after attempts", metadata: ["attempts": "\(delivery.attempts)"])
            return
        }
        let retried = delivery
        self.timerLoop.scheduleTask(in: .nanoseconds(Int64(interval * 1e9))) {
            self.route([retried])
        }
    }

    // MARK: Submits

    /// One message arriving in a submit_sm, data_sm or (per destination) submit_multi.
    struct Submission {
        var sessionID: Int
        var systemID: String
        var command: String
        var message: ShortMessage
        var userData: [UInt8]
        var text: String?
        var concatenation: ConcatenationInfo?
        var now: NIODeadline
        var wallClock: UTCInstant
        /// The id to give instead of a new one (the destinations of one submit_multi share an id).
        var sharedID: String? = nil
        /// Whether this counts as a request received (a submit_multi is counted once, not per destination).
        var countsAsRequest = true
    }

    enum SubmitDecision {
        case refuse(CommandStatus)
        case unanswered
        /// Accepted as `messageID`; the receipts (if any) are about the stored record `receiptKey`.
        case accept(messageID: String, receiptKey: String, plan: ReceiptPlan)
    }

    /// What receipts follow an accepted message.
    struct ReceiptPlan {
        /// An intermediate notification goes out right away.
        var intermediate = false
        /// A final receipt is requested for the drawn outcome.
        var final = false
        /// The final receipt is sent before the submit response (the receipt-before-response race).
        var early = false
        /// The final receipt is sent right after the response (delay 0).
        var immediate = false
    }

    func accept(_ submission: Submission) -> SubmitDecision {
        let (decision, timer) = self.state.withLock { state -> (SubmitDecision, NIODeadline?) in
            let decision = Self.accept(submission, in: &state)
            return (decision, Self.timerToArm(in: &state))
        }
        if let timer { self.armTimer(at: timer) }
        return decision
    }

    private static func accept(_ submission: Submission, in state: inout State) -> SubmitDecision {
        // The parts of the configuration used here (not the whole value: this is the hot path).
        let conventions = state.configuration.conventions
        let faults = state.configuration.faults
        let receipts = state.configuration.receipts
        let storeCapacity = state.configuration.storeCapacity
        if submission.countsAsRequest { state.counters.submitsReceived += 1 }
        let message = submission.message
        let now = submission.now

        // Only accepted submits are remembered (below): a client retrying after a refusal or a
        // submit left unanswered is not refused as a duplicate.
        var duplicateKey: DuplicateKey?
        if let window = conventions.duplicateWindow {
            let key = DuplicateKey(
                systemID: submission.systemID,
                source: message.source.value,
                destination: message.destination.value,
                userData: submission.userData
            )
            let horizon = now - .nanoseconds(Int64(window * 1e9))
            while let (time, oldKey) = state.duplicateOrder.first, time < horizon {
                state.duplicateOrder.removeFirst()
                if state.duplicates[oldKey] == time { state.duplicates[oldKey] = nil }
            }
            if let seen = state.duplicates[key], seen >= horizon {
                state.counters.duplicatesRefused += 1
                return .refuse(conventions.duplicateStatus)
            }
            duplicateKey = key
        }

        if let guardConfiguration = conventions.floodGuard {
            let interval = TimeAmount.nanoseconds(Int64(guardConfiguration.interval * 1e9))
            var flood = state.flood[message.destination.value] ?? FloodState(last: now, chain: 0)
            flood.chain = now - flood.last < interval ? flood.chain + 1 : 1
            flood.last = now
            state.flood[message.destination.value] = flood
            if flood.chain > guardConfiguration.limit {
                state.counters.floodBlocked += 1
                return .refuse(guardConfiguration.status)
            }
        }

        if state.random.chance(faults.noResponseRate) {
            state.counters.faultUnanswered += 1
            return .unanswered
        }
        if state.random.chance(faults.errorRate) {
            state.counters.faultErrors += 1
            return .refuse(faults.errorStatus)
        }
        if let duplicateKey {
            state.duplicates[duplicateKey] = now
            state.duplicateOrder.append((now, duplicateKey))
        }

        // The id: one per part, or (whole-message receipts) the first part's id for every part.
        var messageID: String
        var completesGroup = false
        let wholeGroup = receipts.mode == .whole && submission.concatenation != nil
        if let shared = submission.sharedID {
            messageID = shared
        } else if wholeGroup, let concatenation = submission.concatenation {
            let key = GroupKey(
                systemID: submission.systemID,
                source: message.source.value,
                destination: message.destination.value,
                reference: concatenation.reference,
                total: concatenation.total
            )
            var group = state.groups[key] ?? Group(messageID: state.ids.next(), received: [])
            if state.groups[key] == nil {
                state.groupOrder.append(key)
                if state.groupOrder.count > storeCapacity {
                    state.groups[state.groupOrder.removeFirst()] = nil
                }
            }
            group.received.insert(concatenation.sequence)
            messageID = group.messageID
            completesGroup = group.received.count >= Int(concatenation.total)
            if completesGroup {
                state.groups[key] = nil
            } else {
                state.groups[key] = group
            }
        } else {
            messageID = state.ids.next()
        }

        // The store key: the id, or for further records sharing it (parts with a whole-message id,
        // destinations of a submit_multi) `id/2`, `id/3`, …
        var key = messageID
        if state.messages[key] != nil {
            var number = 2
            while state.messages["\(messageID)/\(number)"] != nil { number += 1 }
            key = "\(messageID)/\(number)"
        }
        // With whole-message receipts, the first part's record carries the receipt.
        let receiptKey = wholeGroup && state.messages[messageID] != nil ? messageID : key

        let mix = receipts.outcomes
        let outcome = mix.outcome(forDraw: Int(state.random.next() % UInt64(max(1, mix.totalWeight))))
        let delay = TimeAmount.nanoseconds(Int64(receipts.delay * 1e9))

        // Receipts: registered_delivery 1 = any outcome, 2 = failure only, 3 = success only (SMPP 5.0).
        var plan = ReceiptPlan()
        let request = message.registeredDelivery.receiptRequest
        let success = outcome.state == .delivered
        let wantsFinal = request == 1 || (request == 2 && !success) || (request == 3 && success)
        let isLastPart = !wholeGroup || completesGroup
        plan.final = wantsFinal && isLastPart
        plan.intermediate = message.registeredDelivery.requestsIntermediate && isLastPart
        if plan.final {
            if state.random.chance(faults.earlyReceiptRate) {
                plan.early = true
            } else if receipts.delay <= 0 {
                plan.immediate = true
            } else {
                Self.schedule(
                    ScheduledReceipt(due: now + delay, messageID: receiptKey, intermediate: false),
                    in: &state
                )
            }
        }

        let stored = SimulatedMessage(
            id: messageID,
            systemID: submission.systemID,
            sessionID: submission.sessionID,
            command: submission.command,
            serviceType: message.serviceType,
            source: message.source,
            destination: message.destination,
            esmClass: message.esmClass,
            protocolID: message.protocolID,
            priorityFlag: message.priorityFlag,
            scheduleDeliveryTime: message.scheduleDeliveryTime,
            validityPeriod: message.validityPeriod,
            registeredDelivery: message.registeredDelivery,
            dataCoding: message.dataCoding,
            userData: submission.userData,
            text: submission.text,
            concatenation: submission.concatenation,
            submittedAt: submission.wallClock,
            state: .enroute,
            outcome: outcome,
            doneAt: nil,
            receipt: plan.final && receiptKey == key ? .scheduled : .notRequested
        )
        if plan.final && receiptKey != key {
            state.messages[receiptKey]?.message.receipt = .scheduled
            state.messages[receiptKey]?.message.outcome = outcome
            state.messages[receiptKey]?.finalAt = now + delay
        }
        state.messages[key] = Stored(message: stored, finalAt: now + delay)
        state.order.append(key)
        if state.order.count > storeCapacity {
            state.messages[state.order.removeFirst()] = nil
        }
        state.counters.messagesAccepted += 1
        return .accept(messageID: messageID, receiptKey: receiptKey, plan: plan)
    }

    /// Keeps the receipt queue ordered by due time (the delay may change while running).
    private static func schedule(_ receipt: ScheduledReceipt, in state: inout State) {
        var index = state.scheduled.endIndex
        while index > state.scheduled.startIndex, state.scheduled[index - 1].due > receipt.due { index -= 1 }
        state.scheduled.insert(receipt, at: index)
    }

    // MARK: Receipts

    /// Builds the receipt deliveries for a stored message now (early and immediate receipts,
    /// intermediate notifications).
    func receipts(
        for key: String,
        intermediate: Bool,
        final: Bool,
        now: NIODeadline,
        wallClock: UTCInstant
    ) -> [Delivery] {
        guard intermediate || final else { return [] }
        return self.state.withLock { state in
            var deliveries: [Delivery] = []
            if intermediate,
                let delivery = Self.receipt(for: key, intermediate: true, wallClock: wallClock, in: &state)
            {
                deliveries.append(delivery)
            }
            if final {
                state.messages[key]?.finalAt = now
                if let delivery = Self.receipt(for: key, intermediate: false, wallClock: wallClock, in: &state) {
                    deliveries.append(delivery)
                }
            }
            return deliveries
        }
    }

    private static func receipt(
        for key: String,
        intermediate: Bool,
        wallClock: UTCInstant,
        in state: inout State
    ) -> Delivery? {
        guard var stored = state.messages[key], !stored.cancelled else { return nil }
        let configuration = state.configuration
        let outcome = stored.message.outcome
        let receiptState = intermediate ? configuration.receipts.intermediateState : outcome.state
        if !intermediate {
            stored.message.state = outcome.state
            stored.message.doneAt = wallClock
            stored.message.receipt = .sent
            state.messages[key] = stored
        }
        let receiptID = state.ids.receiptID(for: stored.message.id)
        let receipt = DeliveryReceipt(
            id: receiptID,
            submitted: 1,
            submitDate: CivilDateTime(stored.message.submittedAt),
            doneDate: CivilDateTime(wallClock),
            state: receiptState,
            error: intermediate ? "000" : outcome.error,
            text: Self.receiptText(stored.message.text)
        )
        let deliverSM = DeliverSM.receipt(
            receipt,
            from: stored.message.destination,
            to: stored.message.source,
            receiptedMessageID: receiptID,
            messageState: receiptState,
            networkErrorCode: intermediate ? nil : outcome.networkError,
            intermediate: intermediate,
            formatting: DeliveryReceipt.FormattingOptions(
                dateLength: configuration.receipts.dateDigits == 12 ? .twelveDigits : .tenDigits
            )
        )
        let pdu: PDU
        if Self.fitsDeliverSM(deliverSM.source) && Self.fitsDeliverSM(deliverSM.destination) {
            pdu = .deliverSM(deliverSM)
        } else {
            // A data_sm may carry addresses of up to 64 characters, a deliver_sm only 20: the
            // receipt of such a message goes back as a data_sm, its text in message_payload.
            var tlvs = deliverSM.tlvs
            tlvs.messagePayload = deliverSM.shortMessage
            pdu = .dataSM(
                DataSM(
                    source: deliverSM.source,
                    destination: deliverSM.destination,
                    esmClass: deliverSM.esmClass,
                    dataCoding: deliverSM.dataCoding,
                    tlvs: tlvs
                )
            )
        }
        return Delivery(
            kind: .receipt(key: key, messageID: stored.message.id, stat: receiptState.receiptStat ?? "?"),
            systemID: stored.message.systemID,
            preferredSession: stored.message.sessionID,
            pdu: pdu
        )
    }

    /// The receipt's `text:` field: the first 20 characters (Unicode scalars) of the message, in
    /// characters that data_coding 0 can carry (printable ASCII; anything else becomes `?`).
    static func receiptText(_ text: String?) -> String {
        guard let text else { return "" }
        return String(unsafeUninitializedCapacity: 20) { buffer in
            var count = 0
            for scalar in text.unicodeScalars {
                guard count < 20 else { break }
                buffer[count] = (0x20..<0x7F).contains(scalar.value) ? UInt8(scalar.value) : UInt8(ascii: "?")
                count += 1
            }
            return count
        }
    }

    /// The deadline the receipt timer must be armed for, if it is not armed early enough already.
    private static func timerToArm(in state: inout State) -> NIODeadline? {
        guard !state.stopped, let first = state.scheduled.first else { return nil }
        if let armed = state.timerDeadline, armed <= first.due { return nil }
        state.timerDeadline = first.due
        return first.due
    }

    private func armTimer(at deadline: NIODeadline) {
        self.timerLoop.scheduleTask(deadline: deadline) {
            self.fireReceipts()
        }
    }

    /// Sends every receipt whose delay has passed and re-arms the timer for the next.
    private func fireReceipts() {
        let now = NIODeadline.now()
        let wallClock = UTCInstant.now
        let (deliveries, next) = self.state.withLock { state -> ([Delivery], NIODeadline?) in
            state.timerDeadline = nil
            var deliveries: [Delivery] = []
            // A short look-ahead batches receipts due within the next millisecond.
            let horizon = now + .milliseconds(1)
            while let first = state.scheduled.first, first.due <= horizon {
                state.scheduled.removeFirst()
                guard state.messages[first.messageID]?.message.receipt == .scheduled else { continue }
                if let delivery = Self.receipt(
                    for: first.messageID,
                    intermediate: first.intermediate,
                    wallClock: wallClock,
                    in: &state
                ) {
                    deliveries.append(delivery)
                }
            }
            return (deliveries, Self.timerToArm(in: &state))
        }
        self.route(deliveries)
        if let next { self.armTimer(at: next) }
    }

    /// Whether an address fits a deliver_sm's address fields (20 octets and the NUL).
    static func fitsDeliverSM(_ address: Address) -> Bool {
        address.value.smppOctets.count <= 20
    }

    // MARK: query_sm, cancel_sm, replace_sm

    enum QueryResult {
        case found(QuerySMResponse)
        case notFound
    }

    /// The state of a message of login `systemID` (a message of another login is not found, as
    /// real SMSCs keep each account's messages to itself).
    func query(_ query: QuerySM, systemID: String, now: NIODeadline) -> QueryResult {
        self.state.withLock { state in
            state.counters.queries += 1
            guard let stored = state.messages[query.messageID], stored.message.systemID == systemID,
                query.source.value.isEmpty || query.source.value == stored.message.source.value
            else { return .notFound }
            let message = Self.current(stored, now: now)
            var finalDate = ""
            if message.state.isFinal {
                let delay = Int64(state.configuration.receipts.delay.rounded())
                let done = message.doneAt ?? message.submittedAt.adding(seconds: delay)
                finalDate = (try? SMPPTime.Absolute(done)).map { SMPPTime.absolute($0).description } ?? ""
            }
            return .found(
                QuerySMResponse(
                    messageID: query.messageID,
                    finalDate: finalDate,
                    messageState: message.state,
                    errorCode: message.state.isFinal
                        ? UInt8(truncatingIfNeeded: message.outcome.networkError?.errorCode ?? 0) : 0
                )
            )
        }
    }

    /// Cancels a pending message of login `systemID` by id, or every pending message of the source
    /// (and destination, and service type) when the id is empty. `false` when nothing could be
    /// cancelled.
    func cancel(_ cancel: CancelSM, systemID: String, now: NIODeadline) -> Bool {
        self.state.withLock { state in
            state.counters.cancels += 1
            let candidates: [String]
            if cancel.messageID.isEmpty {
                candidates = state.order.filter { id in
                    guard let message = state.messages[id]?.message else { return false }
                    return message.source.value == cancel.source.value
                        && (cancel.destination.value.isEmpty || message.destination.value == cancel.destination.value)
                        && (cancel.serviceType.isEmpty || message.serviceType == cancel.serviceType)
                }
            } else {
                candidates = Self.keys(for: cancel.messageID, in: state)
            }
            var cancelled = false
            for id in candidates {
                guard let stored = state.messages[id], stored.message.systemID == systemID, !stored.cancelled,
                    stored.finalAt > now,
                    cancel.source.value.isEmpty || stored.message.source.value == cancel.source.value,
                    cancel.destination.value.isEmpty || stored.message.destination.value == cancel.destination.value
                else { continue }
                state.messages[id]?.cancelled = true
                state.messages[id]?.message.state = .deleted
                state.messages[id]?.message.receipt =
                    stored.message.receipt == .notRequested ? .notRequested : .cancelled
                cancelled = true
            }
            return cancelled
        }
    }

    /// Replaces the user data (and times) of a pending message of login `systemID`; the new user
    /// data (short_message, or SMPP 5.0's message_payload) is read in the original's data coding.
    /// `false` when the message is unknown, another login's, or final.
    func replace(_ replace: ReplaceSM, systemID: String, now: NIODeadline) -> Bool {
        self.state.withLock { state in
            state.counters.replaces += 1
            guard let stored = state.messages[replace.messageID], stored.message.systemID == systemID,
                !stored.cancelled, stored.finalAt > now,
                replace.source.value.isEmpty || stored.message.source.value == replace.source.value
            else { return false }
            let userData = replace.shortMessage.readableBytes == 0
                ? replace.tlvs.messagePayload ?? replace.shortMessage : replace.shortMessage
            let decoded = SMSCSession.decode(userData, dataCoding: stored.message.dataCoding, udhi: false)
            state.messages[replace.messageID]?.message.userData = decoded.userData
            state.messages[replace.messageID]?.message.text = decoded.text
            if !replace.validityPeriod.isEmpty {
                state.messages[replace.messageID]?.message.validityPeriod = replace.validityPeriod
            }
            if !replace.scheduleDeliveryTime.isEmpty {
                state.messages[replace.messageID]?.message.scheduleDeliveryTime = replace.scheduleDeliveryTime
            }
            return true
        }
    }

    /// The store keys of every record with this message id (see ``accept(_:in:)``).
    private static func keys(for id: String, in state: State) -> [String] {
        var keys = [id]
        var number = 2
        while state.messages["\(id)/\(number)"] != nil {
            keys.append("\(id)/\(number)")
            number += 1
        }
        return keys
    }

    // MARK: Inspection

    private static func current(_ stored: Stored, now: NIODeadline) -> SimulatedMessage {
        var message = stored.message
        if !stored.cancelled && message.state == .enroute && now >= stored.finalAt {
            message.state = message.outcome.state
        }
        return message
    }

    /// Stored messages, oldest first.
    func messages(systemID: String? = nil, limit: Int? = nil) -> [SimulatedMessage] {
        let now = NIODeadline.now()
        return self.state.withLock { state in
            var result: [SimulatedMessage] = []
            for id in state.order {
                guard let stored = state.messages[id] else { continue }
                if let systemID, stored.message.systemID != systemID { continue }
                result.append(Self.current(stored, now: now))
            }
            if let limit, result.count > limit { result.removeFirst(result.count - limit) }
            return result
        }
    }

    func message(id: String) -> SimulatedMessage? {
        let now = NIODeadline.now()
        return self.state.withLock { state in state.messages[id].map { Self.current($0, now: now) } }
    }

    func nextMOID() -> Int {
        self.state.withLock { state in
            defer { state.nextMOID += 1 }
            return state.nextMOID
        }
    }

    /// Deliveries waiting for a receiving session.
    var pendingCount: Int {
        self.state.withLock { $0.pendingCount }
    }
}

extension UTCInstant {
    /// The current wall-clock time.
    static var now: UTCInstant {
        UTCInstant(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
    }
}

extension CivilDateTime {
    /// The date and time of an instant in UTC (the simulator's local time).
    init(_ instant: UTCInstant) {
        self.init(secondsSinceEpoch: instant.secondsSinceEpoch)
    }
}
