public import AsyncHTTPClient
import BridgeCore
public import BridgeStore
import CoreMetrics
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// Delivers webhook events from the outbox (`webhook_deliveries`) to the customers' URLs.
///
/// Claims due rows with `FOR UPDATE SKIP LOCKED` (several instances share the work), woken by
/// `LISTEN/NOTIFY` with a polling fallback; signs each body (``WebhookSignature``), POSTs it with
/// timeouts and no redirects, and records the attempt: any 2xx is delivered, `410 Gone` is dead at
/// once, anything else (and every network error) is tried again on the ``WebhookRetrySchedule``
/// until its budget is spent, then the row is `dead` (``WebhookVerdict``). A `429` (or a `503` with
/// `Retry-After`) holds all of that account's events to the destination back until its
/// `Retry-After` (at most the schedule's maximum delay; without one, for the schedule's delay),
/// none of them charged an attempt. Each destination (`host[:port]`) has its own concurrency
/// limit, shared fairly among the accounts posting there, and each account's deliveries to it
/// their own circuit breaker (``DestinationLimiter``), so one failing or slow endpoint cannot starve
/// the others, nor one account's path on a shared host another's. Up to ``claimAhead`` times a
/// destination's limit is claimed at once (in turns per account) and waits in the worker for a
/// free post slot (``PostGate``): a claim per finished post made the claim query the bottleneck
/// (about 300 deliveries/s to one endpoint). On graceful shutdown it stops claiming and finishes
/// the posts it holds.
public final class WebhookWorker: Service, Sendable {
    public struct Configuration: Sendable {
        /// Rows claimed per query. Default 100.
        public var batchSize = 100
        /// Posts in flight at once from this instance. Default 256.
        public var maxInFlight = 256
        /// Posts in flight at once to one destination (`host[:port]`), shared fairly among the
        /// accounts posting there (``PostGate``). Default 8.
        public var maxPerDestination = 8
        /// Polling when no notification comes. Default 1 s.
        public var pollInterval: Duration = .seconds(1)
        /// Connecting to a destination. Default 5 s.
        public var connectTimeout: TimeInterval = 5
        /// The whole request, from connecting to the end of the answer. Default 10 s.
        public var requestTimeout: TimeInterval = 10
        /// Longest wait for one database call (a claim, recording an attempt). PostgresNIO queues
        /// a call while it cannot connect: bounded, a worker whose database is away still stops at
        /// shutdown. Default 10 s.
        public var databaseTimeout: Duration = .seconds(10)
        public var retry = WebhookRetrySchedule()
        /// Consecutive failures of an account's posts to a destination that open its circuit. Default 10.
        public var breakerFailureThreshold = 10
        /// How long an open circuit refuses before one trial post. Default 30 s.
        public var breakerCooldown: TimeInterval = 30
        /// Post to private, loopback and link-local addresses. Default false: refused.
        public var allowPrivateDestinations = false
        /// How much of an answer's body is kept with the attempt. Default 512 bytes.
        public var responseExcerptLength = 512

        public init() {}
    }

    /// Rows claimed per destination, as a multiple of its post limit.
    static let claimAhead = 4

    let store: PostgresStore
    let configuration: Configuration
    let logger: Logger
    /// The client passed in, or the worker's own, made at the first post (AsyncHTTPClient requires
    /// a client to be shut down, so a worker that never posts makes none).
    private let client: Mutex<HTTPClient?>
    private let ownsHTTPClient: Bool
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let limiter: Mutex<DestinationLimiter>
    private let gate: PostGate
    private let inFlight = Atomic<Int>(0)
    private let waker = Waker()
    private let lastGaugeUpdate = Mutex<Date?>(nil)

    private let deliveredCounter = Counter(label: "webhook_deliveries_total", dimensions: [("result", "delivered")])
    private let failedCounter = Counter(label: "webhook_deliveries_total", dimensions: [("result", "failed")])
    private let deadCounter = Counter(label: "webhook_deliveries_total", dimensions: [("result", "dead")])
    private let durationTimer = Timer(label: "webhook_delivery_duration_seconds", preferredDisplayUnit: .seconds)
    private let pendingGauge = Gauge(label: "webhook_outbox_pending")
    private let pausedGauge = Gauge(label: "webhook_destinations_paused")

    /// - Parameters:
    ///   - httpClient: the client to post with; by default the worker makes its own and shuts it
    ///     down when it stops.
    ///   - now: the wall clock (tests pass a manual one: retry times are computed from it).
    ///   - random: a number in 0…1 for the jitter.
    public init(
        store: PostgresStore,
        configuration: Configuration = Configuration(),
        httpClient: HTTPClient? = nil,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.random = random
        self.client = Mutex(httpClient)
        self.ownsHTTPClient = httpClient == nil
        self.gate = PostGate(limit: configuration.maxPerDestination)
        self.limiter = Mutex(
            DestinationLimiter(
                maximumPerDestination: configuration.maxPerDestination * Self.claimAhead,
                failureThreshold: configuration.breakerFailureThreshold,
                cooldown: configuration.breakerCooldown
            )
        )
    }

    /// Wakes the worker at once (in-process producers can call it instead of waiting for NOTIFY).
    public func wake() {
        self.waker.signal()
    }

    public func run() async throws {
        let listener = Task {
            await self.waker.signalOnNotifications(
                of: PostgresStore.webhooksChannel,
                store: self.store,
                logger: self.logger
            )
        }
        await withGracefulShutdownHandler {
            await self.deliveryLoop()
        } onGracefulShutdown: {
            self.waker.signal()
        }
        listener.cancel()
        await self.shutdown()
    }

    /// Shuts down the worker's own HTTP client, if it made one (``run()`` does this when it ends;
    /// callers of ``deliverDue()`` alone call it when done).
    public func shutdown() async {
        guard self.ownsHTTPClient, let client = self.client.withLock({ $0.take() }) else { return }
        try? await client.shutdown()
    }

    private var http: HTTPClient {
        self.client.withLock { client in
            if let client { return client }
            var configuration = HTTPClient.Configuration()
            // A redirect could lead anywhere, private addresses included: 3xx is a failed attempt.
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(
                connect: .milliseconds(Int64(self.configuration.connectTimeout * 1_000)),
                read: .milliseconds(Int64(self.configuration.requestTimeout * 1_000))
            )
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
                self.configuration.maxPerDestination
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            client = made
            return made
        }
    }

    private func deliveryLoop() async {
        // The group waits for the posts in flight before the loop returns.
        await withDiscardingTaskGroup { posts in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let room = self.configuration.maxInFlight - self.inFlight.load(ordering: .relaxed)
                var claimed: [ClaimedWebhook] = []
                do {
                    // Waits for the database end at shutdown: a claim canceled while it waits took nothing.
                    claimed = try await cancelWhenGracefulShutdown {
                        await self.updatePendingGauge()
                        guard room > 0 else { return [] }
                        return try await self.claim(limit: min(room, self.configuration.batchSize))
                    }
                } catch where isStopping(error) {
                    // Stopping: the claim was cut short, nothing failed.
                    self.logger.debug("claiming webhooks canceled", metadata: ["error": .databaseError(error)])
                } catch {
                    self.logger.warning("claiming webhooks failed", metadata: ["error": .databaseError(error)])
                }
                for claim in claimed {
                    posts.addTask {
                        await self.deliver(claim)
                        self.waker.signal()
                    }
                }
                if claimed.count < self.configuration.batchSize || room <= claimed.count {
                    await self.waker.wait(timeout: self.configuration.pollInterval)
                }
            }
        }
    }

    /// Claims what is due now and delivers it, waiting for every post; returns how many were
    /// attempted. For tests with a manual clock, and for tools: the service's loop does the same
    /// continuously.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let claimed = try await self.claim(limit: self.configuration.batchSize)
        await withDiscardingTaskGroup { group in
            for claim in claimed { group.addTask { await self.deliver(claim) } }
        }
        return claimed.count
    }

    private func claim(limit: Int) async throws -> [ClaimedWebhook] {
        let now = self.now()
        let (rooms, accounts, crowded) = self.limiter.withLock {
            ($0.rooms(), $0.accountRooms(now: now), $0.crowdedDestinations())
        }
        // Longer than the posts held ahead of it can take: then the row is due again for any worker.
        let lease =
            (self.configuration.connectTimeout + self.configuration.requestTimeout) * Double(Self.claimAhead) + 30
        let (store, defaultRoom) = (self.store, self.configuration.maxPerDestination * Self.claimAhead)
        let claimed = try await withDatabaseDeadline(self.configuration.databaseTimeout) {
            try await store.claimWebhooks(
                now: now,
                limit: limit,
                lease: lease,
                rooms: rooms,
                accounts: accounts,
                crowded: crowded,
                defaultRoom: defaultRoom
            )
        }
        self.limiter.withLock { limiter in
            for claim in claimed { limiter.started(claim.breakerKey) }
        }
        self.inFlight.add(claimed.count, ordering: .relaxed)
        return claimed
    }

    /// Posts one claimed row and records the attempt.
    private func deliver(_ claim: ClaimedWebhook) async {
        defer { self.inFlight.subtract(1, ordering: .relaxed) }
        await self.gate.enter(claim.destination, account: claim.accountID)
        defer { self.gate.leave(claim.destination, account: claim.accountID) }
        let key = claim.breakerKey
        let attemptedAt = self.now()
        // Its circuit opened, or the destination asked its account to slow down, while it waited
        // for a slot: given back unposted.
        if let hold = self.limiter.withLock({ $0.hold(key, now: attemptedAt) }) {
            self.limiter.withLock { _ = $0.finished(key, .neutral, now: attemptedAt) }
            await self.postpone(claim, until: hold.until, note: self.note(hold, claim))
            return
        }
        let started = ContinuousClock.now
        let outcome = await self.post(claim, at: attemptedAt)
        let elapsed = ContinuousClock.now - started
        self.durationTimer.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        )
        let finishedAt = self.now()
        let verdict = WebhookVerdict(statusCode: outcome.statusCode, retryAfter: outcome.retryAfter, now: finishedAt)
        let (schedule, random) = (self.configuration.retry, self.random())
        var notBefore: Date?
        if case .slowDown(let until) = verdict {
            notBefore = until.map { min($0, finishedAt.addingTimeInterval(schedule.maximumDelay)) }
        }
        let (opened, heldUntil, paused) = self.limiter.withLock { limiter in
            let opened = limiter.finished(
                key,
                verdict == .delivered ? .succeeded : verdict == .gone ? .neutral : .failed,
                now: finishedAt
            )
            if case .slowDown = verdict {
                limiter.slowDown(key, until: notBefore, now: finishedAt) {
                    schedule.delay(afterAttempts: $0, random: random)
                }
            }
            return (opened, limiter.hold(key, now: finishedAt)?.until, limiter.pausedCount)
        }
        self.pausedGauge.record(paused)
        if opened != nil {
            self.logger.warning(
                "webhook destination keeps failing for an account; pausing it",
                metadata: [
                    "webhook.destination": "\(claim.destination)",
                    "account.id": "\(claim.accountID.lowercased)",
                    "webhook.pause_seconds": "\(self.configuration.breakerCooldown)",
                ]
            )
        }
        var status: WebhookDeliveryStatus
        var next: Date
        var error = outcome.error
        switch verdict {
        case .delivered:
            status = .delivered
            next = finishedAt
            self.deliveredCounter.increment()
        case .gone:
            status = .dead
            next = finishedAt
            error = "410 Gone: the receiver says the URL is gone; not retried"
        case .retry, .slowDown:
            if let retry = schedule.nextAttempt(
                afterAttempts: claim.attemptsSinceRedelivery + 1,
                since: claim.retrySince,
                now: finishedAt,
                random: random,
                notBefore: notBefore
            ) {
                status = .pending
                // Not before its account's deliveries to the destination may go again.
                next = max(retry, heldUntil ?? retry)
                self.failedCounter.increment()
            } else {
                status = .dead
                next = finishedAt
            }
        }
        if status == .dead {
            self.deadCounter.increment()
            self.logger.notice(
                verdict == .gone ? "webhook is dead: its URL is gone" : "webhook is dead after its retries",
                metadata: ["webhook.id": "\(claim.id.lowercased)", "webhook.destination": "\(claim.destination)"]
            )
        }
        let result = WebhookAttemptResult(
            status: status,
            nextAttemptAt: next,
            attemptedAt: attemptedAt,
            statusCode: outcome.statusCode,
            error: error,
            responseExcerpt: outcome.excerpt,
            latencyMilliseconds: Int(
                elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            )
        )
        await self.record(claim, result)
        // After its own attempt is recorded: its row keeps its error, the others get the note. Also
        // when another post of the account to the destination began a hold while this attempt was
        // recorded: that post's marking skipped this row, still claimed then, and left it due early.
        if let hold = self.limiter.withLock({ $0.hold(key, now: finishedAt) }),
            opened != nil || verdict.asksToSlowDown || (status == .pending && next < hold.until)
        {
            if verdict.asksToSlowDown {
                self.logger.debug(
                    "webhook destination asked an account to slow down; holding its webhooks back",
                    metadata: [
                        "webhook.destination": "\(claim.destination)",
                        "account.id": "\(claim.accountID.lowercased)",
                        "webhook.hold_until": "\(hold.until)",
                    ]
                )
            }
            await self.pause(claim, until: hold.until, note: self.note(hold, claim))
        }
    }

    /// Records an attempt, even while shutting down: the post happened.
    private func record(_ claim: ClaimedWebhook, _ result: WebhookAttemptResult) async {
        for attempt in 1...3 {
            do {
                let store = self.store
                let recorded = try await withDatabaseDeadline(self.configuration.databaseTimeout) {
                    try await store.recordWebhookAttempt(claim, result: result)
                }
                if !recorded {
                    self.logger.info(
                        "webhook attempt not recorded: the claim's lease ran out and another worker took it",
                        metadata: ["webhook.id": "\(claim.id.lowercased)"]
                    )
                }
                return
            } catch {
                self.logger.warning(
                    "recording a webhook attempt failed",
                    metadata: [
                        "webhook.id": "\(claim.id.lowercased)", "error": .databaseError(error), "attempt": "\(attempt)",
                    ]
                )
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
        // Not recorded: the lease runs out and the event is posted again (at least once).
    }

    /// The `last_error` of deliveries that wait: for their account's circuit to the destination,
    /// or because the destination asked their account to slow down.
    private func note(_ hold: DestinationLimiter.Hold, _ claim: ClaimedWebhook) -> String {
        switch hold {
        case .circuitOpen:
            "waiting: this account's webhooks to \(claim.destination) are paused after "
                + "\(self.configuration.breakerFailureThreshold) failed attempts in a row; "
                + "one is tried again at next_attempt_at, the others once it succeeds"
        case .slowDown:
            "waiting: \(claim.destination) asked for fewer requests (429 Too Many Requests, or 503 with "
                + "Retry-After); this account's webhooks to it wait until next_attempt_at, "
                + "without an attempt counted"
        }
    }

    /// Marks the account's other deliveries to the destination as waiting until `until`.
    private func pause(_ claim: ClaimedWebhook, until: Date, note: String) async {
        let store = self.store
        do {
            // How many were marked does not matter: the limiter holds them back whatever the count.
            _ = try await withDatabaseDeadline(self.configuration.databaseTimeout) {
                try await store.pauseWebhooks(
                    accountID: claim.accountID,
                    destination: claim.destination,
                    until: until,
                    note: note
                )
            }
        } catch {
            // Only the note and the due time: the limiter holds them back all the same.
            self.logger.warning(
                "marking paused webhooks failed",
                metadata: ["webhook.destination": "\(claim.destination)", "error": .databaseError(error)]
            )
        }
    }

    /// Gives a claim back unposted, due when its account's deliveries to the destination may go again.
    private func postpone(_ claim: ClaimedWebhook, until: Date, note: String) async {
        let store = self.store
        do {
            let postponed = try await withDatabaseDeadline(self.configuration.databaseTimeout) {
                try await store.postponeWebhook(claim, until: until, note: note)
            }
            if !postponed {
                // Nothing to undo: this worker did not post it, and the worker that holds it now
                // finds the hold in its own limiter or the destination's answer.
                self.logger.debug(
                    "paused webhook not given back: the claim's lease ran out and another worker took it",
                    metadata: ["webhook.id": "\(claim.id.lowercased)"]
                )
            }
        } catch {
            // The lease runs out and it is due again; the limiter still holds it back.
            self.logger.warning(
                "giving back a paused webhook failed",
                metadata: ["webhook.id": "\(claim.id.lowercased)", "error": .databaseError(error)]
            )
        }
    }

    struct PostOutcome {
        var statusCode: Int?
        var error: String?
        var excerpt: String?
        /// The answer's `Retry-After`.
        var retryAfter: String?
    }

    private func post(_ claim: ClaimedWebhook, at date: Date) async -> PostOutcome {
        guard let components = URLComponents(string: claim.url), let host = components.host else {
            return PostOutcome(error: "not a URL")
        }
        // Stored before the API checked ports: the HTTP client traps on one beyond 65535.
        if let port = components.port, !CallbackURLPolicy.ports.contains(port) {
            return PostOutcome(error: "port \(port) is not 1–65535")
        }
        if !self.configuration.allowPrivateDestinations {
            do {
                if let address = try await DestinationGuard.privateAddress(of: host) {
                    return PostOutcome(
                        error: "refused: \(host) is a private, loopback or link-local address (\(address))"
                    )
                }
            } catch {
                return PostOutcome(error: "could not check the destination: \(error)")
            }
        }
        let body = ByteBuffer(string: claim.payload)
        let timestamp = Int(date.timeIntervalSince1970)
        var request = HTTPClientRequest(url: claim.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "SMSBridge-Webhooks/1")
        request.headers.add(name: "SMSBridge-Event-ID", value: claim.id.lowercased)
        request.headers.add(name: "SMSBridge-Event-Type", value: claim.eventType.rawValue)
        request.headers.add(name: "SMSBridge-Attempt", value: "\(claim.attempts + 1)")
        if claim.redeliveries > 0 {
            request.headers.add(name: "SMSBridge-Redelivery", value: "\(claim.redeliveries)")
        }
        request.headers.add(name: WebhookSignature.timestampHeader, value: "\(timestamp)")
        request.headers.add(
            name: WebhookSignature.signatureHeader,
            value: WebhookSignature.header(secrets: claim.secrets, timestamp: timestamp, body: body.readableBytesView)
        )
        request.body = .bytes(body)
        do {
            let response = try await self.http.execute(
                request,
                timeout: .milliseconds(Int64(self.configuration.requestTimeout * 1_000))
            )
            var excerpt = ByteBuffer()
            for try await chunk in response.body {
                excerpt.writeImmutableBuffer(chunk)
                if excerpt.readableBytes >= self.configuration.responseExcerptLength { break }
            }
            let text = String(
                decoding: excerpt.readableBytesView.prefix(self.configuration.responseExcerptLength),
                as: UTF8.self
            )
            return PostOutcome(
                statusCode: Int(response.status.code),
                excerpt: text,
                retryAfter: response.headers.first(name: "Retry-After")
            )
        } catch {
            return PostOutcome(error: Self.describe(error))
        }
    }

    /// The error as the customer reads it in `last_error`: short, and without what is the
    /// service's own (source paths of the TLS library, the addresses a name resolved to).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "connection closed by the destination"
            default: return Self.withoutInternals("\(error)")
            }
        case let error as IOError:
            // The system's words for its errno ("Connection refused"), not NIO's framing of them.
            return String(cString: strerror(error.errnoCode))
        case let error as NIOConnectionError:
            return error.connectionErrors.first.map { Self.describe($0.error) } ?? "could not connect"
        default:
            return Self.withoutInternals(String(describing: error))
        }
    }

    /// Drops source paths (`/…/handshake.cc:393`) and resolved addresses (`[IPv4]host/1.2.3.4:443`).
    private static func withoutInternals(_ text: String) -> String {
        text.replacing(/\/[^\s:,)]+:\d+/, with: "").replacing(/\[IPv[46]\][^\s,)]+/, with: "")
    }

    /// Keeps `webhook_outbox_pending` current, at most once per poll interval.
    private func updatePendingGauge() async {
        let now = Date()
        let due: Bool = self.lastGaugeUpdate.withLock { last in
            guard let previous = last, now.timeIntervalSince(previous) < self.configuration.pollInterval.seconds else {
                last = now
                return true
            }
            return false
        }
        guard due else { return }
        let store = self.store
        if let pending = try? await withDatabaseDeadline(self.configuration.databaseTimeout, {
            try await store.pendingWebhookCount()
        }) {
            self.pendingGauge.record(pending)
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}

extension ClaimedWebhook {
    /// What its circuit breaker covers: its account's deliveries to its destination.
    var breakerKey: DestinationLimiter.Key {
        DestinationLimiter.Key(accountID: self.accountID, destination: self.destination)
    }
}
