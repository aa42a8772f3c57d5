import BridgeCore
public import Foundation
import NIOCore
import PostgresNIO

// MARK: Writing events (inside the transactions that change what they report)

extension PostgresStore {
    /// The statuses that make a `message.status` event: those a customer sees (not the internal
    /// `queued` → `sending` → `queued` moves of dispatching).
    static let notifiedStatuses = "('sent', 'delivered', 'undelivered', 'expired', 'rejected', 'failed', 'canceled')"

    /// Whether the message `m` has somewhere to send status events: its own `callback_url`, or its
    /// account's status URL. For the `RETURNING` of a status change, so that events are written
    /// (``enqueueStatusEvents(messageIDs:on:logger:)``) only for messages that have one: without,
    /// every batch of reports and receipts looked each of its messages up again for nothing (a
    /// tenth of PostgreSQL's time at 5 000 messages/s with no webhook set). Whether any account has
    /// a status URL is asked once per statement (an InitPlan); only then is the message's account
    /// looked up (a hashed subplan or an index probe, as the planner finds cheaper — an array of
    /// every such account would be compared whole for each message).
    static let hasStatusURL = """
        (m.callback_url IS NOT NULL
            OR (EXISTS (SELECT 1 FROM account_webhooks WHERE status_url IS NOT NULL)
                AND EXISTS (SELECT 1 FROM account_webhooks w WHERE w.account_id = m.account_id AND w.status_url IS NOT NULL)))
        """

    /// A URL's destination (`host[:port]`, what per-destination limits and breakers count by).
    static func destination(of url: String) -> String {
        "substring(\(url) from '^[A-Za-z]+://([^/?#]*)')"
    }

    /// RFC 3339 in UTC with milliseconds, as the API writes dates.
    static func rfc3339(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// Writes a `message.status` event for each of these messages, with its current status and
    /// sequence, to its `callback_url` or else its account's status URL (none: no event). Runs in
    /// the caller's transaction, right after the status change; returns how many were written.
    @discardableResult
    static func enqueueStatusEvents(
        messageIDs: [UUID],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        guard !messageIDs.isEmpty else { return 0 }
        let rows = try await connection.execute(InsertStatusEvents(messageIDs: messageIDs), logger: logger)
        var count = 0
        for try await _ in rows { count += 1 }
        if count > 0 {
            try await connection.queryDiscardingRows("SELECT pg_notify(\(Self.webhooksChannel), '')", logger: logger)
        }
        return count
    }

    /// Writes a `message.inbound` event for a stored inbound message to its account's inbound URL
    /// (no account or no URL: no event). Runs in the caller's transaction.
    static func enqueueInboundEvent(
        _ record: InboundRecord,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard let accountID = record.accountID else { return }
        let body = record.binaryBody.map { Data($0).base64EncodedString() }
        let rows = try await connection.query(
            """
            INSERT INTO webhook_deliveries (id, account_id, event_type, message_id, sequence, url, destination, payload)
            SELECT w.event_id, w.account_id, 'message.inbound', \(record.id), 1, w.inbound_url,
                \(unescaped: Self.destination(of: "w.inbound_url")),
                jsonb_build_object(
                    'id', w.event_id,
                    'type', 'message.inbound',
                    'created_at', \(unescaped: Self.rfc3339("now()")),
                    'sequence', 1,
                    'data', jsonb_build_object(
                        'id', \(record.id),
                        'from', \(record.from)::text,
                        'to', \(record.to)::text,
                        'text', \(record.text)::text,
                        'body', \(body)::text,
                        'data_coding', \(record.dataCoding),
                        'part_count', \(record.partCount),
                        'complete', \(record.complete),
                        'received_at', \(unescaped: Self.rfc3339("now()"))
                    )
                )::text
            FROM (
                SELECT gen_random_uuid() AS event_id, w.* FROM account_webhooks w
                WHERE w.account_id = \(accountID) AND w.inbound_url IS NOT NULL
            ) w
            RETURNING id
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        if count > 0 {
            try await connection.queryDiscardingRows("SELECT pg_notify(\(Self.webhooksChannel), '')", logger: logger)
        }
    }

    /// The channel `NOTIFY`-ed when webhook events are written, so workers wake at once.
    public static let webhooksChannel = "smsbridge_webhooks"

    /// Queues a signed `webhook.test` event to `url`, or to the account's status URL. `nil` when
    /// there is no URL to send it to. With `idempotency`, the answer to the event is recorded with it.
    ///
    /// - Throws: ``StoreError/idempotencyKeyTaken`` when a request with the same key came first.
    public func enqueueTestWebhook(
        accountID: UUID,
        url: String?,
        idempotency: IdempotencyRecording<WebhookDeliveryRecord>? = nil
    ) async throws -> WebhookDeliveryRecord? {
        try await self.change(accountID: accountID, answer: idempotency?.record(for:)) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO webhook_deliveries (id, account_id, event_type, message_id, sequence, url, destination, payload)
                SELECT a.event_id, a.id, 'webhook.test', NULL, 1, a.url, \(unescaped: Self.destination(of: "a.url")),
                    jsonb_build_object(
                        'id', a.event_id,
                        'type', 'webhook.test',
                        'created_at', \(unescaped: Self.rfc3339("now()")),
                        'sequence', 1,
                        'data', jsonb_build_object('account', a.name)
                    )::text
                FROM (
                    SELECT gen_random_uuid() AS event_id, a.id, a.name,
                        COALESCE(\(url)::text, (SELECT w.status_url FROM account_webhooks w WHERE w.account_id = a.id)) AS url
                    FROM accounts a WHERE a.id = \(accountID)
                ) a
                WHERE a.url IS NOT NULL
                RETURNING \(unescaped: Self.deliveryColumns)
                """,
                logger: self.logger
            )
            return try await Self.notifyingWorkers(of: rows, on: connection, logger: self.logger)
        }
    }

    /// The delivery that `rows` (of ``deliveryColumns``) returned, once the workers have been told
    /// of it (`NOTIFY`, sent at the commit); `nil` when there is none.
    static func notifyingWorkers(
        of rows: PostgresRowSequence,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> WebhookDeliveryRecord? {
        var delivery: WebhookDeliveryRecord?
        for try await row in rows { delivery = try Self.delivery(from: row) }
        if delivery != nil {
            try await connection.queryDiscardingRows("SELECT pg_notify(\(Self.webhooksChannel), '')", logger: logger)
        }
        return delivery
    }
}

// MARK: Settings and secrets

extension PostgresStore {
    /// Secrets look like `whsec_` + 64 hex characters (256 random bits).
    static func newWebhookSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_"
            + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
            .joined()
    }

    /// Gives an account its webhook settings row with a fresh secret (used when it is created).
    static func createWebhookSettings(accountID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "INSERT INTO account_webhooks (account_id, secret) VALUES (\(accountID), \(Self.newWebhookSecret()))",
            logger: logger
        )
    }

    /// An account's webhook settings, created with a fresh secret if it has none yet.
    public func webhookSettings(accountID: UUID) async throws -> WebhookSettings {
        try await self.client.withWatchedConnection { connection in
            try await Self.webhookSettings(accountID: accountID, on: connection, logger: self.logger)
        }
    }

    /// An account's webhook settings, created with a fresh secret if it has none yet.
    static func webhookSettings(
        accountID: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> WebhookSettings {
        try await connection.query(
            """
            INSERT INTO account_webhooks (account_id, secret) VALUES (\(accountID), \(Self.newWebhookSecret()))
            ON CONFLICT (account_id) DO NOTHING
            """,
            logger: logger
        )
        let rows = try await connection.query(
            """
            SELECT account_id, status_url, inbound_url, secret, updated_at
            FROM account_webhooks WHERE account_id = \(accountID)
            """,
            logger: logger
        )
        var settings: WebhookSettings?
        for try await (id, status, inbound, secret, updated) in rows.decode(
            (UUID, String?, String?, String, Date).self
        ) {
            settings = WebhookSettings(
                accountID: id,
                statusURL: status,
                inboundURL: inbound,
                secret: secret,
                retiredSecrets: [],
                updatedAt: updated
            )
        }
        guard var settings else { throw PostgresStoreError.accountNotFound }
        let retired = try await connection.query(
            """
            SELECT r.secret, r.retired_at, r.expires_at FROM account_webhooks s,
                LATERAL (\(unescaped: Self.signingRetiredSecrets(of: "s", at: "now()"))) r
            WHERE s.account_id = \(accountID) ORDER BY r.rank
            """,
            logger: logger
        )
        for try await (secret, retiredAt, expires) in retired.decode((String, Date, Date).self) {
            settings.retiredSecrets.append(
                RetiredWebhookSecret(secret: secret, retiredAt: retiredAt, expiresAt: expires)
            )
        }
        return settings
    }

    /// Sets both URLs (`nil` clears one). The caller validated them.
    public func setWebhookURLs(accountID: UUID, statusURL: String?, inboundURL: String?) async throws -> WebhookSettings
    {
        _ = try await self.webhookSettings(accountID: accountID)
        try await self.client.withWatchedTransaction(logger: self.logger) { connection in
            var old: (status: String?, inbound: String?) = (nil, nil)
            let rows = try await connection.query(
                "SELECT status_url, inbound_url FROM account_webhooks WHERE account_id = \(accountID) FOR UPDATE",
                logger: self.logger
            )
            for try await row in rows.decode((String?, String?).self) { old = row }
            try await connection.query(
                """
                UPDATE account_webhooks SET status_url = \(statusURL), inbound_url = \(inboundURL), updated_at = now()
                WHERE account_id = \(accountID)
                """,
                logger: self.logger
            )
            // Events still waiting for the account's old URL go to its new one (an endpoint moved
            // after an outage); those of a message's own callback_url, or redelivered elsewhere,
            // stay. Events being posted at this moment stay too.
            try await connection.query(
                """
                UPDATE webhook_deliveries e SET updated_at = now(), url = t.url,
                    destination = \(unescaped: Self.destination(of: "t.url"))
                FROM (
                    SELECT d.id, CASE WHEN d.event_type = 'message.inbound' THEN \(inboundURL)::text ELSE \(statusURL)::text END AS url
                    FROM webhook_deliveries d
                    WHERE d.account_id = \(accountID) AND d.status = 'pending' AND (
                        (d.event_type = 'message.inbound' AND d.url = \(old.inbound)::text)
                        OR (d.event_type IN ('message.status', 'webhook.test') AND d.url = \(old.status)::text
                            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id AND m.callback_url IS NOT NULL)))
                ) t
                WHERE e.id = t.id AND e.lease_token IS NULL AND t.url IS NOT NULL
                """,
                logger: self.logger
            )
        }
        return try await self.webhookSettings(accountID: accountID)
    }

    /// How many rotated-out secrets sign at most beside the current one: 2. A rotation that would
    /// make a third ends the oldest one's overlap at once (its expiry becomes the rotation's time),
    /// so a webhook carries at most three `v1=` signatures, however often the secret is rotated —
    /// without a cap, each rotation within the longest overlap (7 days) added one to every post.
    public static let maximumRetiredWebhookSecrets = 2

    /// Which retired secrets of an account sign at a time, in the order they sign — the one
    /// statement of the rule, used by the settings' read, the claim (the secrets a post is signed
    /// with) and the rotation (which moves a secret only the old column knows into the table, then
    /// ends those ranked beyond ``maximumRetiredWebhookSecrets``).
    ///
    /// A secret signs until its overlap ends (`expires_at` after `now`, an SQL expression); `rank`
    /// counts from 1, the most recently retired first. Beside the rows of `webhook_retired_secrets`
    /// (each with its `id`) comes the secret an instance of the version before migration 0014
    /// (rolling upgrade) retired into `account_webhooks.previous_secret` alone, with `id` 0.
    /// `settings` is an alias of the account's `account_webhooks` row. Reads list what there is:
    /// secrets retired before the cap keep their overlaps until the next rotation applies it.
    static func signingRetiredSecrets(of settings: String, at now: String) -> String {
        """
        SELECT o.secret, o.retired_at, o.expires_at, o.id,
            row_number() OVER (ORDER BY o.retired_at DESC, o.id DESC) AS rank
        FROM (
            SELECT r.secret, r.retired_at, r.expires_at, r.id FROM webhook_retired_secrets r
            WHERE r.account_id = \(settings).account_id
            UNION ALL
            SELECT \(settings).previous_secret, \(settings).updated_at, \(settings).previous_secret_expires_at, 0
            WHERE NOT EXISTS (
                SELECT 1 FROM webhook_retired_secrets r
                WHERE r.account_id = \(settings).account_id AND r.secret = \(settings).previous_secret
            )
        ) o
        WHERE o.expires_at > \(now)
        """
    }

    /// Replaces the secret with a new one (returned, shown once); the old one keeps signing beside
    /// it for `overlap` seconds so receivers can switch without losing an event. Secrets retired by
    /// earlier rotations keep signing until their own overlaps end, except that at most
    /// ``maximumRetiredWebhookSecrets`` sign beside the current one: the oldest beyond that stop now
    /// (returned in ``WebhookSecretRotation/ended``). One transaction, the settings row locked
    /// (concurrent rotations retire each secret once); with `idempotency`, the answer to the
    /// rotation (its secret) is recorded in it.
    ///
    /// - Throws: ``StoreError/idempotencyKeyTaken`` when a request with the same key came first.
    public func rotateWebhookSecret(
        accountID: UUID,
        overlap: TimeInterval,
        idempotency: IdempotencyRecording<WebhookSecretRotation>? = nil
    ) async throws -> WebhookSecretRotation {
        let rotated = try await self.change(accountID: accountID, answer: idempotency?.record(for:)) { connection in
            _ = try await Self.webhookSettings(accountID: accountID, on: connection, logger: self.logger)
            try await connection.queryDiscardingRows(
                "SELECT 1 FROM account_webhooks WHERE account_id = \(accountID) FOR UPDATE",
                logger: self.logger
            )
            try await connection.query(
                "DELETE FROM webhook_retired_secrets WHERE account_id = \(accountID) AND expires_at <= now()",
                logger: self.logger
            )
            // The current secret joins the retired ones — after one retired by an instance of the
            // version before migration 0014, which only that version's column knows (`id` 0).
            try await connection.query(
                """
                INSERT INTO webhook_retired_secrets (account_id, secret, retired_at, expires_at)
                SELECT w.account_id, s.secret, s.retired_at, s.expires_at FROM account_webhooks w,
                    LATERAL (\(unescaped: Self.signingRetiredSecrets(of: "w", at: "now()"))) s
                WHERE w.account_id = \(accountID) AND s.id = 0
                UNION ALL
                SELECT w.account_id, w.secret, now(), now() + make_interval(secs => \(overlap)) FROM account_webhooks w
                WHERE w.account_id = \(accountID) AND \(overlap) > 0
                """,
                logger: self.logger
            )
            // Beyond the cap, the oldest stop now (all of them are in the table by now).
            let ended = try await connection.query(
                """
                UPDATE webhook_retired_secrets SET expires_at = now()
                WHERE id IN (
                    SELECT s.id FROM account_webhooks w,
                        LATERAL (\(unescaped: Self.signingRetiredSecrets(of: "w", at: "now()"))) s
                    WHERE w.account_id = \(accountID) AND s.rank > \(Int64(Self.maximumRetiredWebhookSecrets))
                )
                RETURNING secret, retired_at, expires_at
                """,
                logger: self.logger
            )
            var endedSecrets: [RetiredWebhookSecret] = []
            for try await (secret, retiredAt, expires) in ended.decode((String, Date, Date).self) {
                endedSecrets.append(RetiredWebhookSecret(secret: secret, retiredAt: retiredAt, expiresAt: expires))
            }
            // previous_secret is kept for instances of the previous version during a rolling upgrade.
            try await connection.query(
                """
                UPDATE account_webhooks SET previous_secret = secret, secret = \(Self.newWebhookSecret()),
                    previous_secret_expires_at = now() + make_interval(secs => \(overlap)), updated_at = now()
                WHERE account_id = \(accountID)
                """,
                logger: self.logger
            )
            return WebhookSecretRotation(
                settings: try await Self.webhookSettings(accountID: accountID, on: connection, logger: self.logger),
                ended: endedSecrets.sorted { $0.retiredAt > $1.retiredAt }
            )
        }
        // `change` returns what its closure returned, which is never nil here.
        guard let rotated else { throw PostgresStoreError.accountNotFound }
        return rotated
    }
}

/// Errors of the store that are not the database's.
public enum PostgresStoreError: Error, Hashable, Sendable {
    case accountNotFound
}

// MARK: The worker's side

extension PostgresStore {
    /// Claims up to `limit` due deliveries, at most `rooms[destination]` (else `defaultRoom`) per
    /// destination, and only the earliest pending event of each message, so a message's events go
    /// out in order. An account's deliveries to a destination whose room in `accounts` is 0 are
    /// left; with room 1, only its earliest due one is taken (a breaker's trial; ties by creation, as
    /// a pause gives its deliveries one due time). Rows other workers hold are skipped. A claim
    /// holds a row until `now + lease` (it is due again after that if the worker never records it).
    ///
    /// A destination's room is shared fairly among its accounts: their due rows are taken in turns,
    /// each account's earliest first, an account that holds `held` of them already (`accounts`)
    /// starting that many turns behind. First come (earliest due first), one account's backlog
    /// took every row a shared host had room for, and another account's events waited behind all
    /// of it. Across destinations, each one's first turns come first. In the `crowded`
    /// destinations (where one account holds much of the room), one account's backlog can fill the
    /// scan of the earliest due rows; there the claim also walks the accounts with pending rows, up
    /// to ``crowdedAccountsWalked`` from a random one on, one index probe each
    /// (`webhook_deliveries_pending_destination`, migration 0015), and adds each one's earliest due
    /// rows. Leaving the crowding account out of the scan instead made it read that account's
    /// whole backlog at every claim.
    ///
    /// The due rows are locked as they are found (those left over after the per-destination cut are
    /// released at the end of the statement), not found, ranked and then joined back to be locked:
    /// with the statistics of a table that grows fast, the planner ran that join as a nested loop
    /// over the ranked rows for every due row. An earlier pending event of the same message is
    /// looked up through `webhook_deliveries_pending_message` (migration 0006).
    public func claimWebhooks(
        now: Date,
        limit: Int,
        lease: TimeInterval,
        rooms: [DestinationRoom],
        accounts: [AccountRoom] = [],
        crowded: [String] = [],
        defaultRoom: Int
    ) async throws -> [ClaimedWebhook] {
        let token = UUID()
        let blocked = rooms.filter { $0.room <= 0 }.map(\.destination)
        let open = rooms.filter { $0.room > 0 }
        let paused = accounts.filter { ($0.room ?? 1) <= 0 }
        let sharing = accounts.filter { ($0.room ?? 1) > 0 }
        let walked = crowded.filter { !blocked.contains($0) }
        let rows = try await self.client.query(
            """
            WITH RECURSIVE clock AS (
                -- The worker's time, which says which retired secrets still sign.
                SELECT \(now)::timestamptz AS instant
            ), due AS (
                SELECT d.id, d.account_id, d.destination, d.next_attempt_at, d.created_at FROM webhook_deliveries d
                WHERE d.status = 'pending' AND d.next_attempt_at <= \(now) AND NOT (d.destination = ANY(\(blocked)::text[]))
                    AND NOT EXISTS (
                        SELECT 1 FROM unnest(\(paused.map(\.accountID))::uuid[], \(paused.map(\.destination))::text[])
                            AS p(account_id, destination)
                        WHERE p.account_id = d.account_id AND p.destination = d.destination
                    )
                    AND \(unescaped: Self.firstPendingOfItsMessage("d"))
                ORDER BY d.next_attempt_at
                LIMIT \(Int64(limit * 4))
                FOR UPDATE OF d SKIP LOCKED
            ), walk (destination, first, account_id, depth) AS (
                SELECT c.destination, a.account_id, a.account_id, 1
                FROM unnest(\(walked)::text[]) AS c(destination), (SELECT \(UUID())::uuid AS pivot) p,
                    LATERAL (SELECT \(unescaped: Self.nextPendingAccount(to: "c.destination", after: "p.pivot")) AS account_id) a
                WHERE a.account_id IS NOT NULL
                UNION ALL
                SELECT k.destination, k.first, a.account_id, k.depth + 1
                FROM walk k,
                    LATERAL (SELECT \(unescaped: Self.nextPendingAccount(to: "k.destination", after: "k.account_id")) AS account_id) a
                WHERE k.depth < \(Int32(Self.crowdedAccountsWalked)) AND a.account_id <> k.first
            ), others AS (
                SELECT o.id, o.account_id, o.destination, o.next_attempt_at, o.created_at
                FROM walk k, LATERAL (
                    SELECT d.id, d.account_id, d.destination, d.next_attempt_at, d.created_at FROM webhook_deliveries d
                    WHERE d.status = 'pending' AND d.destination = k.destination AND d.account_id = k.account_id
                        AND d.next_attempt_at <= \(now) AND \(unescaped: Self.firstPendingOfItsMessage("d"))
                    ORDER BY d.next_attempt_at
                    LIMIT \(Int64(max(1, defaultRoom / 2)))
                    FOR UPDATE OF d SKIP LOCKED
                ) o
                WHERE NOT EXISTS (
                    SELECT 1 FROM unnest(\(paused.map(\.accountID))::uuid[], \(paused.map(\.destination))::text[])
                        AS p(account_id, destination)
                    WHERE p.account_id = k.account_id AND p.destination = k.destination
                )
            ), turns AS (
                SELECT id, account_id, destination, next_attempt_at, created_at,
                    row_number() OVER (PARTITION BY account_id, destination ORDER BY next_attempt_at, created_at, id)
                        AS account_rank
                FROM (SELECT * FROM due UNION SELECT * FROM others) candidates
            ), ranked AS (
                SELECT t.id, t.destination, t.next_attempt_at, t.created_at,
                    row_number() OVER (
                        PARTITION BY t.destination
                        ORDER BY t.account_rank + COALESCE(a.held, 0), t.next_attempt_at, t.created_at, t.id
                    ) AS rank
                FROM turns t
                LEFT JOIN unnest(
                    \(sharing.map(\.accountID))::uuid[], \(sharing.map(\.destination))::text[],
                    \(sharing.map { Int32(clamping: $0.room ?? Int(Int32.max)) })::int4[],
                    \(sharing.map { Int32(clamping: $0.held) })::int4[]
                ) AS a(account_id, destination, room, held) ON a.account_id = t.account_id AND a.destination = t.destination
                WHERE a.room IS NULL OR t.account_rank <= a.room
            ), picked AS (
                SELECT r.id FROM ranked r
                LEFT JOIN unnest(\(open.map(\.destination))::text[], \(open.map { Int32($0.room) })::int4[])
                    AS c(destination, room) ON c.destination = r.destination
                WHERE r.rank <= COALESCE(c.room, \(Int32(defaultRoom)))
                ORDER BY r.rank, r.next_attempt_at, r.created_at
                LIMIT \(Int64(limit))
            )
            UPDATE webhook_deliveries w
            SET lease_token = \(token), next_attempt_at = \(now.addingTimeInterval(lease)), updated_at = now(),
                -- The budget counts from the first attempt (since the event was written or
                -- redelivered): an event that waited behind an earlier one of its message, or for
                -- a paused destination, is not charged for the wait.
                retry_since = CASE WHEN w.attempts = w.attempts_at_redelivery THEN \(now) ELSE w.retry_since END
            FROM picked WHERE w.id = picked.id
            RETURNING w.id, w.account_id, w.event_type, w.url, w.destination, w.payload, w.attempts,
                w.attempts_at_redelivery, w.redeliveries, w.retry_since,
                (SELECT ARRAY[s.secret] || ARRAY(
                    SELECT o.secret
                    FROM (\(unescaped: Self.signingRetiredSecrets(of: "s", at: "(SELECT instant FROM clock)"))) o
                    ORDER BY o.rank)
                 FROM account_webhooks s WHERE s.account_id = w.account_id)
            """,
            logger: self.logger
        )
        var claimed: [ClaimedWebhook] = []
        for try await (id, account, type, url, destination, payload, attempts, base, redeliveries, since, secrets)
            in rows.decode((UUID, UUID, String, String, String, String, Int32, Int32, Int32, Date, [String]?).self)
        {
            claimed.append(
                ClaimedWebhook(
                    id: id,
                    accountID: account,
                    eventType: WebhookEventType(rawValue: type) ?? .messageStatus,
                    url: url,
                    destination: destination,
                    payload: payload,
                    attempts: Int(attempts),
                    attemptsSinceRedelivery: max(0, Int(attempts) - Int(base)),
                    redeliveries: Int(redeliveries),
                    retrySince: since,
                    secrets: secrets ?? [],
                    leaseToken: token
                )
            )
        }
        return claimed.sorted { $0.attemptsSinceRedelivery < $1.attemptsSinceRedelivery }
    }

    /// How many accounts a claim walks at most per crowded destination (see
    /// ``claimWebhooks(now:limit:lease:rooms:accounts:crowded:defaultRoom:)``), from a random one on.
    public static let crowdedAccountsWalked = 32

    /// Whether the delivery `alias` is its message's earliest pending event (so a message's events
    /// go out in order); through `webhook_deliveries_pending_message` (migration 0006).
    static func firstPendingOfItsMessage(_ alias: String) -> String {
        """
        NOT EXISTS (
            SELECT 1 FROM webhook_deliveries e
            WHERE e.message_id = \(alias).message_id AND e.status = 'pending' AND e.sequence < \(alias).sequence
        )
        """
    }

    /// The first account after `after` with pending deliveries to `destination`, else the first of
    /// them all (SQL expressions): one probe of `webhook_deliveries_pending_destination` (migration
    /// 0015) each, however many deliveries an account has.
    static func nextPendingAccount(to destination: String, after: String) -> String {
        """
        COALESCE(
            (SELECT w.account_id FROM webhook_deliveries w
             WHERE w.status = 'pending' AND w.destination = \(destination) AND w.account_id > \(after)
             ORDER BY w.account_id LIMIT 1),
            (SELECT w.account_id FROM webhook_deliveries w
             WHERE w.status = 'pending' AND w.destination = \(destination)
             ORDER BY w.account_id LIMIT 1))
        """
    }

    /// Records an attempt and what follows from it (delivered, due again at a time, or dead), if
    /// the claim is still this worker's. Returns false when it was not (the lease ran out and
    /// another worker took the row).
    @discardableResult
    public func recordWebhookAttempt(_ claim: ClaimedWebhook, result: WebhookAttemptResult) async throws -> Bool {
        let latency = Int32(clamping: result.latencyMilliseconds)
        let code = result.statusCode.map { Int32(clamping: $0) }
        let rows = try await self.client.query(
            """
            WITH updated AS (
                UPDATE webhook_deliveries SET status = \(result.status.rawValue)::webhook_status, attempts = attempts + 1,
                    next_attempt_at = \(result.nextAttemptAt), lease_token = NULL, last_attempt_at = \(result.attemptedAt),
                    last_status_code = \(code), last_error = \(result.error), last_response = \(result.responseExcerpt),
                    last_latency_ms = \(latency),
                    delivered_at = CASE WHEN \(result.status.rawValue) = 'delivered' THEN \(result.attemptedAt) ELSE delivered_at END,
                    updated_at = now()
                WHERE id = \(claim.id) AND lease_token = \(claim.leaseToken)
                RETURNING id
            )
            INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, response_excerpt, latency_ms)
            SELECT id, \(result.attemptedAt), \(code), \(result.error), \(result.responseExcerpt), \(latency) FROM updated
            RETURNING delivery_id
            """,
            logger: self.logger
        )
        for try await _ in rows { return true }
        return false
    }

    /// Marks the pending deliveries of an account to a destination as waiting for its circuit
    /// breaker: due no earlier than `until`, with `note` as their `last_error` (the attempts' own
    /// errors stay in `webhook_attempts`). Rows being posted, and rows due later anyway, are left
    /// as they are. Returns how many were marked.
    @discardableResult
    public func pauseWebhooks(accountID: UUID, destination: String, until: Date, note: String) async throws -> Int {
        let rows = try await self.client.query(
            """
            UPDATE webhook_deliveries SET next_attempt_at = \(until), last_error = \(note), updated_at = now()
            WHERE account_id = \(accountID) AND destination = \(destination) AND status = 'pending'
                AND lease_token IS NULL AND next_attempt_at < \(until)
            RETURNING id
            """,
            logger: self.logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Gives a claimed delivery back unposted (its destination was paused while it waited): due at
    /// `until`, with `note` as its `last_error`, no attempt counted. False when the claim was no
    /// longer this worker's.
    @discardableResult
    public func postponeWebhook(_ claim: ClaimedWebhook, until: Date, note: String) async throws -> Bool {
        let rows = try await self.client.query(
            """
            UPDATE webhook_deliveries SET next_attempt_at = \(until), last_error = \(note), lease_token = NULL,
                updated_at = now()
            WHERE id = \(claim.id) AND lease_token = \(claim.leaseToken)
            RETURNING id
            """,
            logger: self.logger
        )
        for try await _ in rows { return true }
        return false
    }

    /// How many deliveries wait (pending, due or not).
    public func pendingWebhookCount() async throws -> Int {
        let rows = try await self.client.query(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'",
            logger: self.logger
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}

// MARK: Reading and redelivering (the API's side)

extension PostgresStore {
    static let deliveryColumns = """
        id, account_id, event_type, message_id, sequence, url, status::text, attempts, redeliveries, next_attempt_at,
        last_attempt_at,
        last_status_code, last_error, last_response, last_latency_ms, created_at, delivered_at, payload
        """

    static func delivery(from row: PostgresRow) throws -> WebhookDeliveryRecord {
        let columns = row.makeRandomAccess()
        func column<Value: PostgresDecodable>(_ name: String, _ type: Value.Type) throws -> Value {
            try columns[name].decode(Value.self)
        }
        let status = WebhookDeliveryStatus(rawValue: try column("status", String.self)) ?? .pending
        return WebhookDeliveryRecord(
            id: try column("id", UUID.self),
            accountID: try column("account_id", UUID.self),
            eventType: WebhookEventType(rawValue: try column("event_type", String.self)) ?? .messageStatus,
            messageID: try column("message_id", UUID?.self),
            sequence: Int(try column("sequence", Int32.self)),
            url: try column("url", String.self),
            status: status,
            attempts: Int(try column("attempts", Int32.self)),
            redeliveries: Int(try column("redeliveries", Int32.self)),
            nextAttemptAt: status == .pending ? try column("next_attempt_at", Date.self) : nil,
            lastAttemptAt: try column("last_attempt_at", Date?.self),
            lastStatusCode: try column("last_status_code", Int32?.self).map(Int.init),
            lastError: try column("last_error", String?.self),
            lastResponse: try column("last_response", String?.self),
            lastLatencyMilliseconds: try column("last_latency_ms", Int32?.self).map(Int.init),
            createdAt: try column("created_at", Date.self),
            deliveredAt: try column("delivered_at", Date?.self),
            payload: try column("payload", String.self)
        )
    }

    /// An account's deliveries, newest first, after `cursor`.
    public func webhookDeliveries(
        accountID: UUID,
        filter: WebhookDeliveryFilter,
        limit: Int,
        after cursor: ListCursor?
    ) async throws -> [WebhookDeliveryRecord] {
        var listing = ListingQuery(columns: Self.deliveryColumns, table: "webhook_deliveries", accountID: accountID)
        if let status = filter.status { listing.add({ "status = \($0)::webhook_status" }, status.rawValue) }
        if let type = filter.eventType { listing.add({ "event_type = \($0)" }, type.rawValue) }
        if let message = filter.messageID { listing.add({ "message_id = \($0)" }, message) }
        let rows = try await self.client.query(listing.query(after: cursor, limit: limit), logger: self.logger)
        var records: [WebhookDeliveryRecord] = []
        for try await row in rows { records.append(try Self.delivery(from: row)) }
        return records
    }

    /// One delivery of the account, or `nil`.
    public func webhookDelivery(id: UUID, accountID: UUID) async throws -> WebhookDeliveryRecord? {
        let rows = try await self.client.query(
            "SELECT \(unescaped: Self.deliveryColumns) FROM webhook_deliveries WHERE id = \(id) AND account_id = \(accountID)",
            logger: self.logger
        )
        for try await row in rows { return try Self.delivery(from: row) }
        return nil
    }

    /// A delivery's attempts, oldest first.
    public func webhookAttempts(deliveryID: UUID) async throws -> [WebhookAttemptRecord] {
        let rows = try await self.client.query(
            """
            SELECT attempted_at, status_code, error, response_excerpt, latency_ms FROM webhook_attempts
            WHERE delivery_id = \(deliveryID) ORDER BY id
            """,
            logger: self.logger
        )
        var attempts: [WebhookAttemptRecord] = []
        for try await (at, code, error, excerpt, latency) in rows.decode((Date, Int32?, String?, String?, Int32).self) {
            attempts.append(
                WebhookAttemptRecord(
                    attemptedAt: at,
                    statusCode: code.map(Int.init),
                    error: error,
                    responseExcerpt: excerpt,
                    latencyMilliseconds: Int(latency)
                )
            )
        }
        return attempts
    }

    /// Puts a delivery back in the queue, due now, with a fresh retry budget (same event id and
    /// payload, so receivers recognise a repeat), to `url` if given. Otherwise an event that went to
    /// an account URL — a `message.inbound`, or a `message.status` of a message without its own
    /// `callback_url` — goes to the account's URL for it as it is now (moved endpoints are the
    /// usual reason events are dead), or where it went before when the account has none any more;
    /// other events (a message's `callback_url`, a test) go where they went. `attempts` keeps
    /// counting; `redeliveries` grows by one; `delivered_at` is cleared until it is delivered again.
    /// One being posted right now is left as it is. `nil` when the account has no such delivery.
    /// With `idempotency`, the answer is recorded in the transaction that queues the delivery again
    /// (not when it was left as it is). The caller checked `url`.
    ///
    /// - Throws: ``StoreError/idempotencyKeyTaken`` when a request with the same key came first.
    public func redeliverWebhook(
        id: UUID,
        accountID: UUID,
        url: String? = nil,
        idempotency: IdempotencyRecording<WebhookDeliveryRecord>? = nil
    ) async throws -> WebhookDeliveryRecord? {
        let queued = try await self.change(accountID: accountID, answer: idempotency?.record(for:)) { connection in
            let rows = try await connection.query(
                """
                UPDATE webhook_deliveries SET status = 'pending', url = t.target_url,
                    destination = \(unescaped: Self.destination(of: "t.target_url")),
                    attempts_at_redelivery = attempts, redeliveries = redeliveries + 1, retry_since = now(),
                    next_attempt_at = now(), delivered_at = NULL, updated_at = now()
                FROM (
                    SELECT e.id AS target_id, COALESCE(\(url)::text, CASE
                        WHEN e.event_type = 'message.inbound' THEN w.inbound_url
                        WHEN e.event_type = 'message.status' AND EXISTS (
                            SELECT 1 FROM messages m WHERE m.id = e.message_id AND m.callback_url IS NULL
                        ) THEN w.status_url
                    END, e.url) AS target_url
                    FROM webhook_deliveries e LEFT JOIN account_webhooks w ON w.account_id = e.account_id
                    WHERE e.id = \(id) AND e.account_id = \(accountID)
                ) t
                WHERE id = t.target_id AND lease_token IS NULL
                RETURNING \(unescaped: Self.deliveryColumns)
                """,
                logger: self.logger
            )
            return try await Self.notifyingWorkers(of: rows, on: connection, logger: self.logger)
        }
        if let queued { return queued }
        // Not found, or being posted at this moment and left as it is: nothing changed, nothing recorded.
        return try await self.webhookDelivery(id: id, accountID: accountID)
    }
}

extension PostgresStore {
    /// `message.status` events of messages (see ``enqueueStatusEvents(messageIDs:on:logger:)``).
    ///
    /// Each event's id is drawn in a subquery in `FROM`, one per message row: PostgreSQL does not
    /// flatten a subquery whose output calls a volatile function. Drawn in a lateral subquery, a
    /// plan with `Memoize` (keyed on what the subquery read: callback URL, account) handed every
    /// message of an account the same id, and the batch failed on the primary key.
    struct InsertStatusEvents: MessageIDsStatement {
        static let sql = """
            INSERT INTO webhook_deliveries (id, account_id, event_type, message_id, sequence, url, destination, payload)
            SELECT m.event_id, m.account_id, 'message.status', m.id, m.status_sequence, m.url,
                \(PostgresStore.destination(of: "m.url")),
                jsonb_build_object(
                    'id', m.event_id,
                    'type', 'message.status',
                    'created_at', \(PostgresStore.rfc3339("m.updated_at")),
                    'sequence', m.status_sequence,
                    'data', jsonb_build_object(
                        'message_id', m.id,
                        'status', m.status,
                        'to', m.destination,
                        'from', m.source,
                        'client_ref', m.client_ref,
                        'tags', to_jsonb(m.tags),
                        'part_count', m.part_count,
                        'error_code', m.error_code,
                        'error_description', m.error_description,
                        'sent_at', \(PostgresStore.rfc3339("m.sent_at")),
                        'done_at', \(PostgresStore.rfc3339("m.done_at")),
                        'parts', COALESCE((
                            SELECT jsonb_agg(jsonb_build_object(
                                'number', p.part_number,
                                'status', p.status,
                                'smsc_message_id', p.smsc_message_id,
                                'error_code', p.error_code,
                                'submitted_at', \(PostgresStore.rfc3339("p.submitted_at")),
                                'done_at', \(PostgresStore.rfc3339("p.done_at"))
                            ) ORDER BY p.part_number)
                            FROM message_parts p WHERE p.message_id = m.id
                        ), '[]'::jsonb)
                    )
                )::text
            FROM (
                SELECT gen_random_uuid() AS event_id,
                    COALESCE(m.callback_url, (SELECT w.status_url FROM account_webhooks w WHERE w.account_id = m.account_id)) AS url,
                    m.*
                FROM messages m
                WHERE m.id = ANY($1) AND m.status IN \(PostgresStore.notifiedStatuses)
            ) m
            WHERE m.url IS NOT NULL
            RETURNING id
            """
        typealias Row = UUID

        var messageIDs: [UUID]

        func decodeRow(_ row: PostgresRow) throws -> UUID { try row.decode(UUID.self) }
    }
}
