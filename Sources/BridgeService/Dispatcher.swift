public import BridgeCore
public import BridgeHTTP
public import BridgeStore
import CoreMetrics
public import Foundation
public import Logging
import PostgresNIO
import SMPP
public import SMPPClient
public import ServiceLifecycle
import Synchronization

/// Takes due messages from the database and sends them through their connector.
///
/// Claims batches with `FOR UPDATE SKIP LOCKED` (so several instances share the work and never take
/// the same message), woken by `LISTEN/NOTIFY` with a polling fallback; submits every pending part,
/// records each part's SMSC message id, and moves the message to `sent`. Temporary failures go back
/// to the queue after a growing delay; permanent ones end in `failed`; messages whose validity ran
/// out before sending end `expired`. On graceful shutdown it stops claiming, lets in-flight submits
/// finish, records them, and gives back the rest.
public final class Dispatcher: Service, Sendable {
    public struct Configuration: Sendable {
        /// Messages claimed per query. Default 500 (200 carried 25 % fewer messages end to end
        /// in `scripts/bench-bridge` with batches of 100).
        public var batchSize: Int = 500
        /// Messages being sent at once, all connectors together. Default 2000.
        public var maxInFlight: Int = 2_000
        /// Polling interval when no notification comes. Default 1 s.
        public var pollInterval: Duration = .seconds(1)
        /// How long a claim holds a message. Default 120 s (longer than a submit's queue wait and response).
        public var lease: TimeInterval = 120
        /// Delay before the first retry after a temporary failure, doubling per attempt. Default 5 s.
        public var retryDelay: TimeInterval = 5
        /// Longest retry delay. Default 10 minutes.
        public var maximumRetryDelay: TimeInterval = 600
        /// Attempts before a message fails for good. Default 10.
        public var maxAttempts: Int = 10
        /// Reports recorded per transaction at most. Default 500.
        public var reportBatchSize: Int = 500
        /// A batch of reports goes when it is full or when its oldest report has waited this long
        /// (``BatchQueue``). Default 25 ms; a message shows `sent` at most that much later (a
        /// receipt that comes meanwhile waits for its report, ``UnrecordedSubmissions``).
        public var reportGathering: Duration = .milliseconds(25)
        /// Longest wait for one database call (a claim, a batch of reports, giving leases back).
        /// PostgresNIO queues a call while it cannot connect; bounded, a dispatcher whose database
        /// is away still notices shutdown and stops. Default 10 s.
        public var databaseTimeout: Duration = .seconds(10)
        /// Messages the HTTP API of this instance accepts that are due at once come straight here
        /// (``DispatchHandoff``) instead of being claimed from the queue. Default true.
        public var handoff: Bool = true

        public init() {}
    }

    let store: PostgresStore
    let connectors: [String: SMPPConnector]
    let configuration: Configuration
    /// This instance's id: it owns the leases of what it claims.
    public let instanceID: UUID
    /// Where the SMSC ids of reports not recorded yet are noted, for the inbound processor.
    let unrecorded: UnrecordedSubmissions?
    let logger: Logger
    private let waker = Waker()
    private let reports: BatchQueue<SubmissionReport>
    private let inFlight = Atomic<Int>(0)
    private let metrics = ServiceMetrics()
    /// Sends under way (claimed or handed over): none starts after graceful shutdown began, and
    /// the reports are written to the end once all have reported.
    private let sends = SendTracker()
    /// Whether handed-over messages are taken: from ``prepare()`` until graceful shutdown.
    private let acceptingHandoffs = Atomic<Bool>(false)
    private let prepared = Atomic<Bool>(false)
    /// Paused connectors, as last read (at most a second old), for the handoff; claims read the
    /// pauses themselves.
    private let pauses = Mutex<(names: Set<String>, readAt: ContinuousClock.Instant?)>(([], nil))

    public init(
        store: PostgresStore,
        connectors: [String: SMPPConnector],
        configuration: Configuration = Configuration(),
        instanceID: UUID,
        unrecorded: UnrecordedSubmissions? = nil,
        logger: Logger
    ) {
        self.store = store
        self.connectors = connectors
        self.configuration = configuration
        self.reports = BatchQueue(limit: configuration.reportBatchSize, gathering: configuration.reportGathering)
        self.instanceID = instanceID
        self.unrecorded = unrecorded
        self.logger = logger
    }

    /// Reads the paused connectors and starts taking handed-over messages (they wait for `run`).
    /// Called before the HTTP server starts, so that the first request can be handed over; `run`
    /// calls it when nobody did.
    public func prepare() async {
        await self.refreshPausedConnectors()
        self.acceptingHandoffs.store(self.configuration.handoff, ordering: .relaxed)
        self.prepared.store(true, ordering: .relaxed)
    }

    /// Wakes the dispatcher at once (in-process producers can call it instead of waiting for NOTIFY).
    public func wake() {
        self.waker.signal()
    }

    public func run() async throws {
        let listener = Task {
            await self.waker.signalOnNotifications(
                of: PostgresStore.queuedChannel,
                store: self.store,
                logger: self.logger
            )
        }
        if !self.prepared.load(ordering: .relaxed) { await self.prepare() }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.recordReports() }
            await withGracefulShutdownHandler {
                await self.dispatchLoop()
            } onGracefulShutdown: {
                self.acceptingHandoffs.store(false, ordering: .relaxed)
                self.sends.close()
                // What waits in a connector's queue goes back to the database now (a retry that
                // counts no attempt, due at once for another instance); only what is at the SMSC
                // is waited for.
                for connector in self.connectors.values { connector.handBackQueued() }
                self.waker.signal()
            }
            self.sends.close()
            // Once every send has reported, the recorder writes what is left and ends; the group
            // waits for it.
            await self.sends.finished()
            self.reports.finish()
        }
        listener.cancel()
        // Canceled past the shutdown deadline, the database pool is going too: the leases then
        // run out (or the instance is found dead) and the messages are sent again.
        guard !Task.isCancelled else {
            self.logger.notice("shutdown deadline passed: messages still at the SMSC stay leased until their lease runs out")
            return
        }
        do {
            try await self.withDatabase { [store, instanceID] in try await store.releaseLeases(owner: instanceID) }
        } catch {
            self.logger.error("could not release leases at shutdown", metadata: ["error": .databaseError(error)])
        }
    }

    // MARK: Claiming

    private func dispatchLoop() async {
        guard await self.register() else { return }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if self.acceptingHandoffs.load(ordering: .relaxed) { await self.refreshPausedConnectorsIfOld() }
            let room = self.configuration.maxInFlight - self.inFlight.load(ordering: .relaxed)
            var claimed: [ClaimedMessage] = []
            if room > 0 {
                do {
                    let (store, owner, limit, lease) = (
                        self.store, self.instanceID, min(self.configuration.batchSize, room),
                        self.configuration.lease
                    )
                    // A claim waiting for the database is dropped at shutdown (nothing was claimed).
                    claimed = try await cancelWhenGracefulShutdown {
                        try await self.withDatabase {
                            try await store.claimDue(owner: owner, limit: limit, lease: lease)
                        }
                    }
                } catch where isStopping(error) {
                    // Stopping: the claim was cut short (it took nothing), nothing failed.
                    self.logger.debug("claiming messages canceled", metadata: ["error": .databaseError(error)])
                } catch {
                    self.logger.warning("claiming messages failed", metadata: ["error": .databaseError(error)])
                }
            }
            for message in claimed {
                self.inFlight.add(1, ordering: .relaxed)
                self.sendAndRecord(message)
            }
            // A full batch means more may be due: go on at once. Otherwise wait for a notification,
            // a finished send freeing room, or the poll interval.
            if claimed.count < self.configuration.batchSize || room <= claimed.count {
                await self.waker.wait(timeout: self.configuration.pollInterval)
            }
        }
    }

    /// Writes this instance's heartbeat once before the first claim, so that its leases are
    /// recovered if it dies (``Maintenance`` keeps it fresh). A database away at that moment is
    /// waited for — a warning at each attempt, 100 ms to 5 s apart — not a failure that would end
    /// the service group and take the SMSC sessions down with it. `false` when stopping first.
    private func register() async -> Bool {
        var retryDelay: Duration = .milliseconds(100)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await self.withDatabase { [store, instanceID] in try await store.heartbeat(instance: instanceID) }
                return true
            } catch where isStopping(error) {
                self.logger.debug("registering the instance canceled", metadata: ["error": .databaseError(error)])
                return false
            } catch {
                self.logger.warning(
                    "registering the instance failed; claiming waits for it",
                    metadata: ["error": .databaseError(error), "retry_in": "\(retryDelay)"]
                )
            }
            // Graceful shutdown signals the waker: the wait ends at once then.
            await self.waker.wait(timeout: retryDelay)
            retryDelay = min(retryDelay * 2, .seconds(5))
        }
        return false
    }

    /// Sends a claimed or handed-over message, whose room in flight the caller counted, and queues
    /// its report when the SMSC answered; then its room is free. Wakes the claim loop only when it
    /// waited for room (not after every send: that would be a claim query per message).
    ///
    /// Once graceful shutdown began it sends nothing and frees the room at once: the message stays
    /// leased to this instance, and goes back to the queue with the other leases `run` gives back
    /// (or when its lease runs out).
    private func sendAndRecord(_ message: ClaimedMessage) {
        guard self.sends.begin() else {
            self.inFlight.subtract(1, ordering: .relaxed)
            return
        }
        self.send(message) { report in
            self.unrecorded?.submitted(report)
            self.reports.append(report)
            let before = self.inFlight.subtract(1, ordering: .relaxed).oldValue
            if before >= self.configuration.maxInFlight { self.waker.signal() }
            self.sends.end()
        }
    }

    /// Reads the paused connectors when the last reading is older than a second.
    private func refreshPausedConnectorsIfOld() async {
        let readAt = self.pauses.withLock { $0.readAt }
        if let readAt, ContinuousClock.now - readAt < .seconds(1) { return }
        await self.refreshPausedConnectors()
    }

    private func refreshPausedConnectors() async {
        do {
            let store = self.store
            let names = try await self.withDatabase { Set(try await store.pausedConnectors().map(\.connector)) }
            self.pauses.withLock { $0 = (names, .now) }
        } catch where isCancellation(error) {
            self.logger.debug("reading paused connectors canceled", metadata: ["error": .databaseError(error)])
        } catch {
            self.logger.warning("reading paused connectors failed", metadata: ["error": .databaseError(error)])
        }
    }

    /// The admin API paused or resumed a connector of this instance: the handoff knows at once.
    public func connectorPauseChanged(_ connector: String, paused: Bool) {
        self.pauses.withLock {
            if paused { $0.names.insert(connector) } else { $0.names.remove(connector) }
        }
    }

    // MARK: Sending

    /// Submits the message's pending parts; `completion` gets its report once the SMSC answered
    /// every part (on the thread that settled the last one), or at once when nothing is sent.
    func send(_ message: ClaimedMessage, completion: @escaping @Sendable (SubmissionReport) -> Void) {
        @Sendable func report(_ submitted: [SubmissionReport.Part], _ outcome: SubmissionReport.Outcome) {
            completion(
                SubmissionReport(
                    messageID: message.id,
                    connector: message.connector,
                    submitted: submitted,
                    outcome: outcome
                )
            )
        }
        let now = Date()
        if let expiresAt = message.expiresAt, expiresAt <= now {
            return report([], Self.expiredBeforeSending)
        }
        guard let connector = self.connectors[message.connector] else {
            return report(
                [],
                self.retry(message, errorCode: nil, description: "no connector named \(message.connector)")
            )
        }
        let pending = message.parts.filter { !$0.submitted }
        guard !pending.isEmpty else { return report([], .sent) }
        let parts = pending.map { part -> SubmitSM in
            var submitSM = part.submitSM
            // Validity counts from now: what remains of the message's own, in whole seconds.
            if let expiresAt = message.expiresAt {
                submitSM.validityPeriod = OutgoingMessage.relativeValidity(
                    seconds: max(1, Int(expiresAt.timeIntervalSince(now)))
                )
            }
            return submitSM
        }
        // A part still waiting for a session when the validity runs out is not sent (`expired`).
        let sendBy = message.expiresAt.map {
            NIODeadline.now() + .nanoseconds(Int64(max(0, $0.timeIntervalSince(now)) * 1e9))
        }
        let priority: SubmitPriority = message.priority == .urgent ? .urgent : .normal
        connector.submit(parts: parts, priority: priority, sendBy: sendBy) { results in
            let (submitted, outcome) = self.outcome(of: message, pending: pending, results: results)
            report(submitted, outcome)
        }
    }

    /// A message whose validity ran out before it reached the SMSC.
    private static let expiredBeforeSending = SubmissionReport.Outcome.finished(
        .expired,
        errorCode: nil,
        description: "validity ran out before sending"
    )

    /// The parts submitted and the outcome of a message whose pending parts got `results`.
    private func outcome(
        of message: ClaimedMessage,
        pending: [ClaimedPart],
        results: [Result<SubmitResult, SMPPClientError>]
    ) -> (submitted: [SubmissionReport.Part], outcome: SubmissionReport.Outcome) {
        var submitted: [SubmissionReport.Part] = []
        var failure: SMPPClientError?
        for (part, result) in zip(pending, results) {
            switch result {
            case .success(let accepted):
                submitted.append(
                    .init(number: part.number, smscMessageID: accepted.messageID, key: accepted.messageIDKey)
                )
            case .failure(let error):
                failure = failure ?? error
            }
        }
        guard let failure else { return (submitted, .sent) }
        if failure == .expired {
            return (submitted, Self.expiredBeforeSending)
        }
        let code = failure.commandStatus.map { Int($0.rawValue) }
        let description = failure.commandStatus?.name ?? "\(failure)"
        self.logger.debug("submit failed", metadata: ["message.id": "\(message.id.lowercased)", "error": "\(failure)"])
        if failure == .shuttingDown && submitted.isEmpty {
            // Handed back at shutdown: another instance may send it at once.
            return (submitted, .retry(after: 0, errorCode: nil, description: description, counted: false))
        }
        if failure.isRetryable {
            let reached = !failure.neverReachedTheSMSC || !submitted.isEmpty
            return (submitted, self.retry(message, errorCode: code, description: description, reachedTheSMSC: reached))
        }
        return (submitted, .finished(.failed, errorCode: code, description: description))
    }

    /// The retry of a message whose submit failed, or its end after ``Configuration/maxAttempts``
    /// attempts. An attempt that never reached the SMSC (no session took the message: the SMSC is
    /// away, the connector paused) is not counted — an SMSC away for an hour is no reason to give
    /// a message up; its validity is (`expired`) — and waits at most a minute before the next.
    private func retry(
        _ message: ClaimedMessage,
        errorCode: Int?,
        description: String,
        reachedTheSMSC: Bool = true
    ) -> SubmissionReport.Outcome {
        if reachedTheSMSC, message.attempts >= self.configuration.maxAttempts {
            return .finished(
                .failed,
                errorCode: errorCode,
                description: "\(description) (after \(message.attempts) attempts)"
            )
        }
        let exponent = Double(min(message.attempts - 1, 20))
        let cap = reachedTheSMSC ? self.configuration.maximumRetryDelay : min(60, self.configuration.maximumRetryDelay)
        let delay = min(cap, self.configuration.retryDelay * pow(2, exponent))
        return .retry(
            after: delay * Double.random(in: 0.8...1.2),
            errorCode: errorCode,
            description: description,
            counted: reachedTheSMSC
        )
    }

    /// Runs a database call with ``Configuration/databaseTimeout``.
    private func withDatabase<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withDatabaseDeadline(self.configuration.databaseTimeout, operation)
    }

    // MARK: Recording

    private func recordReports() async {
        while true {
            let batch = await self.reports.next()
            if batch.isEmpty { return }
            await self.record(batch)
            self.unrecorded?.recorded(batch)
        }
    }

    /// Records a batch of reports, trying again while the database is away. A statement the
    /// database refuses for what it holds (a constraint, a data error: the same batch would fail
    /// again) is split in halves so that the others are recorded; a single report refused so three
    /// times is given up, with an error in the log: its message's lease then runs out and it is
    /// sent again — at least once, never lost, and never a queue stuck behind one report.
    private func record(_ batch: [SubmissionReport]) async {
        var attempt = 0
        while true {
            do {
                // Receipts that came before these responses are matched now.
                let (store, owner) = (self.store, self.instanceID)
                let early = try await self.withDatabase { try await store.report(batch, owner: owner) }
                self.metrics.recordLateMatches(early)
                for report in batch {
                    switch report.outcome {
                    case .sent: self.metrics.recordStatus(.sent)
                    case .finished(let status, _, _): self.metrics.recordStatus(status)
                    case .retry: self.metrics.retries.increment()
                    }
                }
                return
            } catch {
                attempt += 1
                if isRefusedForItsContent(error) {
                    if batch.count > 1 {
                        self.logger.warning(
                            "recording submissions refused; recording them in halves",
                            metadata: ["error": .databaseError(error), "reports": "\(batch.count)"]
                        )
                        await self.record(Array(batch.prefix(batch.count / 2)))
                        await self.record(Array(batch.dropFirst(batch.count / 2)))
                        return
                    }
                    if attempt >= 3 {
                        self.logger.error(
                            "could not record a submission; its message is sent again when its lease runs out",
                            metadata: ["error": .databaseError(error), "message.id": "\(batch[0].messageID.lowercased)"]
                        )
                        return
                    }
                }
                // The database is away: keep the reports (the SMSC ids matter) and try again —
                // a bounded number of times once shutting down; the leases then expire and
                // the messages are sent again (at least once, never lost). Canceled (past the
                // shutdown deadline), every try would fail at once: given up now.
                if Task.isCancelled || (Task.isShuttingDownGracefully && attempt >= 5) {
                    self.logger.error(
                        "giving up recording submissions at shutdown",
                        metadata: ["error": .databaseError(error)]
                    )
                    return
                }
                self.logger.warning(
                    "recording submissions failed; retrying",
                    metadata: ["error": .databaseError(error), "attempt": "\(attempt)"]
                )
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
            }
        }
    }
}

extension Dispatcher: DispatchHandoff {
    public func reserve(_ messages: [AcceptedMessage]) -> [AcceptedMessage] {
        guard self.acceptingHandoffs.load(ordering: .relaxed) else { return messages }
        let paused = self.pauses.withLock { $0.names }
        let lease = DispatchLease(owner: self.instanceID, duration: self.configuration.lease)
        var messages = messages
        for index in messages.indices {
            let message = messages[index]
            guard message.status == .queued, message.sendAt == nil, self.connectors[message.connector] != nil,
                !paused.contains(message.connector)
            else { continue }
            // Room in flight, reserved now; given back by release or when the send ends.
            guard self.inFlight.add(1, ordering: .relaxed).newValue <= self.configuration.maxInFlight else {
                self.inFlight.subtract(1, ordering: .relaxed)
                break
            }
            messages[index].lease = lease
        }
        return messages
    }

    public func send(_ messages: [AcceptedMessage]) {
        for message in messages where message.lease != nil {
            self.sendAndRecord(ClaimedMessage(handedOff: message))
        }
    }

    public func release(_ messages: [AcceptedMessage]) {
        let reserved = messages.count { $0.lease != nil }
        if reserved > 0 { self.inFlight.subtract(reserved, ordering: .relaxed) }
    }
}

/// The sends under way: refuses new ones once closed, and tells when the last one has ended.
final class SendTracker: Sendable {
    private struct State {
        var open = true
        var running = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0

        /// Closed, and every send that began has ended.
        var isFinished: Bool { !self.open && self.running == 0 }
    }

    private let state = Mutex(State())

    /// A send starts; false (and nothing counted) once closed.
    func begin() -> Bool {
        self.state.withLock { state in
            guard state.open else { return false }
            state.running += 1
            return true
        }
    }

    /// A send that began has ended.
    func end() {
        for waiter in self.state.withLock({ $0.running -= 1; return Self.takeWaitersIfFinished(&$0) }) {
            waiter.resume()
        }
    }

    /// No send begins from now on.
    func close() {
        for waiter in self.state.withLock({ $0.open = false; return Self.takeWaitersIfFinished(&$0) }) {
            waiter.resume()
        }
    }

    /// Those waiting for the end, once closed and every send has ended; none before.
    private static func takeWaitersIfFinished(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.isFinished else { return [] }
        defer { state.waiters = [:] }
        return Array(state.waiters.values)
    }

    /// Returns once closed and every send has ended — or when the task is canceled (past the
    /// shutdown deadline: what the SMSC has not answered then stays leased, and is sent again once
    /// its lease runs out).
    func finished() async {
        let id = self.state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = self.state.withLock { state in
                    if state.isFinished || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
