public import BridgeCore
public import BridgeStore
public import Foundation
public import Logging
import NIOCore
import SMPP
public import SMPPClient
public import ServiceLifecycle
import Synchronization

/// Stores what connectors receive — delivery receipts and mobile-originated messages — and only
/// then acknowledges it to the SMSC. A database failure answers a temporary error
/// (ESME_RX_T_APPN), so the SMSC delivers again instead of the message being lost; while the
/// database is known to be away that answer comes at once (``DatabaseAvailability``), not after
/// the deadline, so the SMSC does not time the `deliver_sm` out first.
public final class InboundProcessor: Service, Sendable {
    public struct Configuration: Sendable {
        /// Receipts applied per transaction at most. Default 100.
        public var receiptBatchSize: Int = 100
        /// A batch of receipts goes when it is full or its oldest receipt has waited this long, or
        /// when no other batch is being written and no receipt came for 2 ms (``BatchQueue``): an
        /// SMSC that waits for the answers to the receipts it sent (its window) stops sending, and
        /// must not wait for a timer. Default 25 ms.
        public var receiptGathering: Duration = .milliseconds(25)
        /// Transactions applying receipts at once. Default 4. Receipts of different messages are
        /// independent; two transactions touching the same messages in a different order may
        /// deadlock, and PostgreSQL then aborts one: its receipts are answered with a temporary
        /// error and the SMSC delivers them again.
        public var receiptWorkers: Int = 4
        /// A PDU repeated within this many seconds is stored once. Default 600.
        public var dedupeWindow: TimeInterval = 600
        /// How often receipts that came before their submit response was stored are matched
        /// again, while there are any. Default 500 ms.
        public var rematchInterval: Duration = .milliseconds(500)
        /// Longest wait for storing a batch of receipts or an inbound message; past it the SMSC is
        /// answered with a temporary error and delivers again. PostgresNIO queues a call while it
        /// cannot connect: bounded, a processor whose database is away still answers the SMSC and
        /// stops at shutdown. Once a call has found the database away, the others are answered at
        /// once while one call at a time tries it (``DatabaseAvailability``). A call that already
        /// runs when the deadline passes gets up to 2 s more (``withDatabaseDeadline(_:grace:_:)``).
        /// Default 3 s: well above a commit's time, and with that grace (and the 2 s a receipt
        /// may wait for its submission's report) still inside the 10 s or less an SMSC commonly
        /// waits for a `deliver_sm_resp`.
        public var databaseTimeout: Duration = .seconds(3)
        /// An instance silent this long is dead (``Maintenance/Configuration/deadAfter``): the
        /// connections it held count as gone. Default 30 s.
        public var instanceDeadAfter: TimeInterval = 30

        public init() {}
    }

    let store: PostgresStore
    let connectors: [String: SMPPConnector]
    let router: InboundRouter<UUID>
    let configuration: Configuration
    /// This instance's id: the de-duplication entries it stores name it.
    let instanceID: UUID?
    /// This instance's submissions whose reports are not recorded yet: receipts for them wait.
    let unrecorded: UnrecordedSubmissions?
    let logger: Logger
    private let receipts: BatchQueue<InboundEvent>
    /// When a receipt was last kept unmatched (seconds since the reference date), or 0.
    private let lastUnmatched = Atomic<Double>(0)
    /// Its connectors' series exist from the start, at 0.
    private let metrics: ServiceMetrics
    /// Inbound PDUs answered late or with an error: a repeat on their connection is a redelivery.
    private let lateAnswers: LateAnswers
    /// Storing receipts and messages goes through it: with the deadline, refused at once while the
    /// database is away.
    private let database: DatabaseAvailability

    public init(
        store: PostgresStore,
        connectors: [String: SMPPConnector],
        router: InboundRouter<UUID>,
        configuration: Configuration = Configuration(),
        instanceID: UUID? = nil,
        unrecorded: UnrecordedSubmissions? = nil,
        logger: Logger
    ) {
        self.store = store
        self.connectors = connectors
        self.router = router
        self.configuration = configuration
        self.instanceID = instanceID
        self.receipts = BatchQueue(
            limit: configuration.receiptBatchSize,
            gathering: configuration.receiptGathering,
            quietGap: .milliseconds(2)
        )
        self.unrecorded = unrecorded
        self.logger = logger
        self.lateAnswers = LateAnswers(keep: .seconds(configuration.dedupeWindow))
        self.metrics = ServiceMetrics(connectors: connectors.keys)
        self.database = DatabaseAvailability(timeout: configuration.databaseTimeout, logger: logger)
    }

    /// Consumes every connector's events until they end. Put it before the connectors in a service
    /// group: the group stops services in reverse order, so the connectors stop first (after the
    /// dispatcher) and what they still receive while unbinding is stored.
    public func run() async throws {
        let rematcher = Task { await self.rematchLoop() }
        await withDiscardingTaskGroup { group in
            for _ in 0..<self.configuration.receiptWorkers {
                group.addTask { await self.applyReceipts() }
            }
            await withDiscardingTaskGroup { consumers in
                for connector in self.connectors.values {
                    consumers.addTask { await self.consume(connector) }
                }
            }
            self.unrecorded?.releaseOverdue(now: nil)
            self.receipts.finish()
        }
        rematcher.cancel()
        // The events end when the connectors stop, which a service group does before it asks this
        // service to stop: returning earlier would count as an unexpected end.
        try? await gracefulShutdown()
    }

    /// Settles receipts stored at the same moment as their submit response (see
    /// ``PostgresStore/rematchReceipts(window:limit:)``), for two minutes after one was kept unmatched.
    private func rematchLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: self.configuration.rematchInterval)
            self.unrecorded?.releaseOverdue()
            let last = self.lastUnmatched.load(ordering: .relaxed)
            guard last > 0, Date().timeIntervalSinceReferenceDate - last < 120 else { continue }
            do {
                // The race settles within seconds: a short window keeps each sweep small when many
                // receipts stay unmatched for good (an SMSC that reports unknown ids).
                let matched = try await self.store.rematchReceipts(window: 60)
                self.metrics.recordLateMatches(matched)
                if !matched.isEmpty {
                    self.logger.debug("receipts matched late", metadata: ["count": "\(matched.count)"])
                }
            } catch {
                self.logger.debug("matching receipts again failed", metadata: ["error": .databaseError(error)])
            }
        }
    }

    private func consume(_ connector: SMPPConnector) async {
        await withDiscardingTaskGroup { messages in
            for await event in connector.events {
                switch event.kind {
                case .receipt:
                    // Its part's SMSC id may still be on its way into the database: then the
                    // receipt waits for it (see UnrecordedSubmissions).
                    let (receipts, metrics) = (self.receipts, self.metrics)
                    let held = self.unrecorded?.hold(connector: event.connector, candidates: event.messageIDCandidates) {
                        metrics.recordHeldReceipt(connector: event.connector, release: $0)
                        receipts.append(event)
                    }
                    if held != true { self.receipts.append(event) }
                case .message:
                    messages.addTask { await self.storeMessage(event) }
                case .unreadableReceipt:
                    self.logger.warning(
                        "receipt without message id or state acknowledged and dropped",
                        metadata: ["smpp.connector": "\(event.connector)"]
                    )
                    event.acknowledgement?.acknowledge()
                case .alert(let alert):
                    self.logger.info(
                        "alert_notification",
                        metadata: ["source": "\(alert.source.value)", "smpp.connector": "\(event.connector)"]
                    )
                }
            }
        }
    }

    private func applyReceipts() async {
        while true {
            let batch = await self.receipts.next()
            if batch.isEmpty { return }
            defer { self.receipts.done() }
            await self.apply(batch)
        }
    }

    /// Stores a batch of receipts in one transaction and answers them: `ok` once committed, a
    /// temporary error when the database is away (the SMSC delivers them again). A batch the
    /// database refuses for what it holds is stored in halves, so that one receipt it cannot take
    /// does not turn the others away with it; that one is answered with a permanent error (the
    /// SMSC would otherwise deliver it, and the batches it lands in, again and again).
    private func apply(_ batch: [InboundEvent]) async {
        do {
            let incoming = batch.compactMap { event -> IncomingReceipt? in
                guard case .receipt(let receipt) = event.kind else { return nil }
                return IncomingReceipt(
                    connector: event.connector,
                    smscMessageID: receipt.messageID,
                    candidates: event.messageIDCandidates,
                    stat: receipt.stat,
                    state: receipt.state,
                    intermediate: receipt.isIntermediate,
                    errorCode: receipt.text?.error,
                    networkError: receipt.networkErrorCode,
                    raw: event.text
                )
            }
            let store = self.store
            let outcomes = try await self.database.run { try await store.applyReceipts(incoming) }
            batch.compactMap(\.acknowledgement).acknowledge(.ok)
            self.metrics.recordReceipts(incoming, outcomes: outcomes)
            self.reportIDForms(incoming, outcomes)
            let unmatched = outcomes.filter { $0 == .unmatched }.count
            if unmatched > 0 {
                self.lastUnmatched.store(Date().timeIntervalSinceReferenceDate, ordering: .relaxed)
                self.logger.debug("receipts kept unmatched", metadata: ["count": "\(unmatched)"])
            }
        } catch where isRefusedForItsContent(error) && batch.count > 1 {
            await self.apply(Array(batch.prefix(batch.count / 2)))
            await self.apply(Array(batch.dropFirst(batch.count / 2)))
        } catch where isRefusedForItsContent(error) {
            self.logger.error(
                "the database refuses this receipt; answered with a permanent error",
                metadata: ["error": .databaseError(error), "smpp.connector": "\(batch[0].connector)"]
            )
            batch.compactMap(\.acknowledgement).acknowledge(.permanentAppError)
        } catch {
            self.logFailure("storing receipts failed; the SMSC will deliver them again", error)
            batch.compactMap(\.acknowledgement).acknowledge(.temporaryAppError)
        }
    }

    /// Tells each connector which of its receipts' id forms found their messages (`auto` id
    /// matching learns the SMSC's from it).
    private func reportIDForms(_ receipts: [IncomingReceipt], _ outcomes: [ReceiptOutcome]) {
        for (receipt, outcome) in zip(receipts, outcomes) {
            guard case .matched(_, _, _, let candidate) = outcome, receipt.candidates.indices.contains(candidate)
            else { continue }
            self.connectors[receipt.connector]?.receiptMatched(
                receiptedID: receipt.smscMessageID,
                key: receipt.candidates[candidate]
            )
        }
    }

    private func storeMessage(_ event: InboundEvent) async {
        guard let message = event.message else {
            event.acknowledgement?.acknowledge()
            return
        }
        var userData = message.userData
        var concatenation = message.concatenation
        if message.esmClass.hasUDHI {
            if let split = try? UserDataHeader.split(userData) {
                userData = split.rest
            } else {
                concatenation = nil
            }
        }
        let received = IncomingPart(
            connector: event.connector,
            source: message.source.value,
            destination: message.destination.value,
            from: message.source.displayText,
            to: message.destination.displayText,
            dataCoding: message.dataCoding,
            userData: Array(userData.readableBytesView),
            concatenation: concatenation,
            connection: event.connection
        )
        var repeatable = received
        // Answered late or with an error before: a repeat is the SMSC delivering again.
        if self.lateAnswers.contains(received) { repeatable.connection = nil }
        let part = repeatable
        let openConnections = self.connectors.values.flatMap(\.openConnections)
        let started = ContinuousClock.now
        let answerBy = self.connectors[event.connector].map {
            Duration.nanoseconds($0.configuration.inboundAcknowledgementTimeout.nanoseconds)
        }
        do {
            let (store, accountID, configuration, instance, smscDefault) = (
                self.store, self.router.account(for: part.destination), self.configuration, self.instanceID,
                event.smscDefaultAlphabet
            )
            let outcome = try await self.database.run {
                try await store.storeInbound(
                    part,
                    accountID: accountID,
                    dedupeWindow: configuration.dedupeWindow,
                    openConnections: openConnections,
                    instance: instance,
                    instanceDeadAfter: configuration.instanceDeadAfter,
                    smscDefault: smscDefault
                )
            }
            event.acknowledgement?.acknowledge(.ok)
            if let answerBy, ContinuousClock.now - started >= answerBy { self.lateAnswers.note(received) }
            if case .stored(let record) = outcome {
                self.metrics.recordInbound(connector: event.connector)
                self.logger.debug(
                    "inbound message stored",
                    metadata: ["inbound.id": "\(record.id.lowercased)", "parts": "\(record.partCount)"]
                )
            }
        } catch {
            self.logFailure("storing an inbound message failed; the SMSC will deliver it again", error)
            self.lateAnswers.note(received)
            event.acknowledgement?.acknowledge(.temporaryAppError)
        }
    }

    /// A store call that failed, at warning; one not made because the database is away at debug
    /// (``DatabaseAvailability`` logged when it went away, and the SMSC's redeliveries would repeat
    /// it), and one cut short by shutdown too.
    private func logFailure(_ message: Logger.Message, _ error: any Error) {
        let level: Logger.Level = error is DatabaseAway || isCancellation(error) ? .debug : .warning
        self.logger.log(level: level, message, metadata: ["error": .databaseError(error)])
    }
}
