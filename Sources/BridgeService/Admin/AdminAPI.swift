import BridgeCore
import BridgeHTTP
import BridgeStore
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import SMPPClient

/// The operators' API under `/admin`, behind its own bearer token (`admin.token`), off without one.
///
/// - `GET /admin/connectors`: every connector with its sessions (state, in-flight, window, sent,
///   errors, last error) and whether it is paused.
/// - `POST /admin/connectors/{name}/pause` (optional JSON `{"reason": "…"}`): no instance claims the
///   connector's messages until resumed; sessions stay bound, so receipts keep arriving. Shared by
///   every instance through the database.
/// - `POST /admin/connectors/{name}/resume`: lifts a pause, and clears a credentials alert
///   (the connector binds again).
/// - `GET /admin/queue`: depth and age of the queue, messages by waiting status, per connector.
/// - `GET /admin/receipts/unmatched?limit=100`: receipts kept without a message (newest first), until
///   they match or expire (`maintenance.unmatched_receipt_lifetime`).
///
/// Errors are `application/problem+json`, as in the customer API. Every database call is bounded
/// by `http.database_timeout`: a database that cannot be reached answers the customer API's `503`
/// `database-unavailable` with `Retry-After`, not a request that waits for PostgresNIO's pool to give up.
struct AdminAPI: Sendable {
    let token: String
    let store: PostgresStore
    let connectors: [String: SMPPConnector]
    let dispatcher: Dispatcher
    /// The customer API's deadline and `Retry-After`.
    let databaseGate: DatabaseGate
    let logger: Logger

    struct ConnectorReport: Codable, Sendable {
        var name: String
        var paused: ConnectorPause?
        var status: ConnectorStatus

        /// A connector whose dispatch is paused here says `paused`, though its sessions run (they
        /// still carry receipts and inbound messages).
        init(name: String, paused: ConnectorPause?, status: ConnectorStatus) {
            self.name = name
            self.paused = paused
            self.status = status
            if paused != nil && status.state == "running" { self.status.state = "paused" }
        }
    }

    struct QueueReport: Codable, Sendable {
        var depth: Int
        var oldestAgeSeconds: Double
        var messages: [String: Int]
        var connectors: [ConnectorQueue]
        var paused: [String]
    }

    struct UnmatchedReceipts: Codable, Sendable {
        struct Receipt: Codable, Sendable {
            var connector: String
            var smscMessageId: String
            var stat: String?
            var receivedAt: Date
        }

        var receipts: [Receipt]
        var limit: Int
    }

    struct PauseRequest: Codable, Sendable {
        var reason: String?
    }

    func addRoutes(to router: Router<APIRequestContext>) {
        let admin = router.group("admin").add(middleware: AdminAuthentication(token: self.token))
        admin.get("connectors") { _, _ in
            let pauses = try await self.pauses()
            let reports = self.connectors.keys.sorted().map { name in
                ConnectorReport(name: name, paused: pauses[name], status: self.connectors[name]!.status())
            }
            return try Response.json(reports)
        }
        admin.get("connectors/:name") { _, context in
            try Response.json(try await self.report(try self.connectorName(context)))
        }
        admin.post("connectors/:name/pause") { request, context in
            let name = try self.connectorName(context)
            let body = try await request.body.collect(upTo: 16_384)
            var reason: String?
            if body.readableBytes > 0 {
                guard let decoded = try? JSONDecoder().decode(PauseRequest.self, from: Data(body.readableBytesView))
                else {
                    throw AdminProblem(
                        status: .badRequest,
                        title: "invalid body",
                        detail: "expected {\"reason\": \"…\"}"
                    )
                }
                reason = decoded.reason
            }
            try await self.database { [reason] in try await self.store.pauseConnector(name, reason: reason) }
            self.dispatcher.connectorPauseChanged(name, paused: true)
            self.logger.notice(
                "connector paused",
                metadata: ["smpp.connector": "\(name)", "reason": "\(reason ?? "")"]
            )
            return try Response.json(try await self.report(name))
        }
        admin.post("connectors/:name/resume") { _, context in
            let name = try self.connectorName(context)
            try await self.database { _ = try await self.store.resumeConnector(name) }
            self.connectors[name]!.resume()
            self.dispatcher.connectorPauseChanged(name, paused: false)
            self.dispatcher.wake()
            self.logger.notice("connector resumed", metadata: ["smpp.connector": "\(name)"])
            return try Response.json(
                ConnectorReport(name: name, paused: nil, status: self.connectors[name]!.status())
            )
        }
        admin.get("queue") { _, _ in
            let report = try await self.database {
                let statistics = try await self.store.queueStatistics()
                let counts = try await self.store.activeMessageCounts()
                return QueueReport(
                    depth: statistics.depth,
                    oldestAgeSeconds: statistics.oldestAge,
                    messages: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
                    connectors: try await self.store.queueByConnector(),
                    paused: try await self.store.pausedConnectors().map(\.connector)
                )
            }
            return try Response.json(report)
        }
        admin.get("receipts/unmatched") { request, _ in
            let limit = try Self.limit(request.uri.queryParameters.get("limit"))
            let rows = try await self.database { try await self.store.unmatchedReceipts(limit: limit) }
            let receipts = rows.map {
                UnmatchedReceipts.Receipt(
                    connector: $0.connector,
                    smscMessageId: $0.smscMessageID,
                    stat: $0.stat,
                    receivedAt: $0.receivedAt
                )
            }
            return try Response.json(UnmatchedReceipts(receipts: receipts, limit: limit))
        }
    }

    /// `?limit=`: 1…1000, default 100.
    private static func limit(_ text: String?) throws -> Int {
        guard let text else { return 100 }
        guard let limit = Int(text), (1...1_000).contains(limit) else {
            throw AdminProblem(status: .badRequest, title: "invalid limit", detail: "limit must be a number 1…1000")
        }
        return limit
    }

    private func connectorName(_ context: APIRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        guard self.connectors[name] != nil else {
            throw AdminProblem(
                status: .notFound,
                title: "no such connector",
                detail:
                    "no connector named \(name); connectors: \(self.connectors.keys.sorted().joined(separator: ", "))"
            )
        }
        return name
    }

    private func report(_ name: String) async throws -> ConnectorReport {
        ConnectorReport(name: name, paused: try await self.pauses()[name], status: self.connectors[name]!.status())
    }

    private func pauses() async throws -> [String: ConnectorPause] {
        try await self.database {
            Dictionary(uniqueKeysWithValues: try await self.store.pausedConnectors().map { ($0.connector, $0) })
        }
    }

    /// Runs a database call with the deadline: a database that cannot be reached is a `503`
    /// problem (`database-unavailable`, with `Retry-After`); any other failure is a `500`, logged.
    private func database<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await self.databaseGate.run(self.logger, body)
        } catch let problem as APIProblem {
            throw problem
        } catch {
            self.logger.error("admin: database call failed", metadata: ["error": "\(String(reflecting: error))"])
            throw AdminProblem(
                status: .internalServerError,
                title: "internal error",
                detail: "the database call failed; see the service's log"
            )
        }
    }
}

/// An admin error, rendered as `application/problem+json`.
struct AdminProblem: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var title: String
    var detail: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: [String: Any] = [
            "type": "https://smsbridge.dev/problems/admin",
            "title": self.title,
            "status": self.status.code,  // a number (RFC 9457), as in the API's problems
            "detail": self.detail,
        ]
        var data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        data.append(0x0A)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if self.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Requires `Authorization: Bearer <admin token>`, compared in constant time.
struct AdminAuthentication: RouterMiddleware {
    typealias Context = APIRequestContext
    let token: String

    func handle(
        _ request: Request,
        context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        let presented = request.headers[.authorization].flatMap { header -> String? in
            guard header.lowercased().hasPrefix("bearer ") else { return nil }
            return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        // Digests compare in constant time.
        guard let presented, SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data(self.token.utf8))
        else {
            throw AdminProblem(
                status: .unauthorized,
                title: "unauthorized",
                detail: "the admin API needs Authorization: Bearer <admin.token>"
            )
        }
        return try await next(request, context)
    }
}
