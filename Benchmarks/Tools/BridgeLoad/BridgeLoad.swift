import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// `bridge-load`: sends N messages over HTTP with C concurrent connections to a running SMSBridge
/// (connected to an SMSC such as `smsc-sim`), then waits until every one is final.
///
/// Reports the accept rate (202s per second), accept latency p50/p90/p99/max, and the time until
/// every message is `delivered`. `scripts/bench-bridge` starts PostgreSQL, the simulator and the
/// service and runs this tool; README, "Performance", has the figures.
@main
struct BridgeLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge-load",
        abstract: "HTTP load against a running SMSBridge: accept rate, accept latency, time to delivered."
    )

    @Option(help: "The service's base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "API key (default: $SMSBRIDGE_KEY).") var apiKey: String?
    @Option(help: "Messages to send.") var messages = 20_000
    @Option(help: "Concurrent connections, each sending one request at a time.") var concurrency = 32
    @Option(help: "Messages per request: 1 uses POST /v1/messages, more uses POST /v1/messages/batch.")
    var batch = 1
    @Option(
        help: ArgumentHelp(
            "Messages per second to offer (open loop): request i is due at start + i × batch / rate, sent then "
                + "by a free connection, and its latency counts from when it was due; without it, every "
                + "connection sends its next request as soon as the last one is answered (closed loop)."
        )
    )
    var rate: Double?
    @Option(
        help: ArgumentHelp(
            "Messages to send first, the same way, outside the measurement (tables, statistics and caches "
                + "of a fresh database warm up); they count in the wait for delivery."
        )
    )
    var warmup = 0
    @Option(
        help: ArgumentHelp(
            "Write one line per measured request to this file: when it was sent (or due), in ms since the "
                + "first, its latency in ms (to see whether slow answers come together), and how late in ms "
                + "this tool sent it (open loop; part of the latency)."
        )
    )
    var latencyLog: String?
    @Option(help: "Seconds to wait for every message to be final.") var deliveryTimeout = 300.0
    @Flag(help: "Do not wait for delivery.") var noWait = false

    func run() async throws {
        guard let key = self.apiKey ?? ProcessInfo.processInfo.environment["SMSBRIDGE_KEY"] else {
            throw ValidationError("give --api-key or set SMSBRIDGE_KEY")
        }
        guard self.messages > 0, self.concurrency > 0, (1...1_000).contains(self.batch), self.warmup >= 0 else {
            throw ValidationError("--messages and --concurrency must be > 0, --batch 1…1000, --warmup ≥ 0")
        }
        if let rate = self.rate, !(rate > 0) { throw ValidationError("--rate must be > 0") }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: self.concurrency
        )
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await self.measure(client: client, key: key)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Sends the load, then waits until every message is final; prints the report.
    func measure(client: HTTPClient, key: String) async throws {
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let startedAt = Date()

        // Messages the service has finished so far, when it serves /metrics (cheap to poll).
        let finishedBefore = try await self.finishedCount(client: client)

        // Warm the connections (and the service's caches) outside the measurement.
        _ = try await self.post(client: client, key: key, body: Self.body(index: -1, run: runID, count: 1))

        var warmedUp = 0
        if self.warmup > 0 {
            let warm = try await self.send(self.warmup, from: self.messages, run: runID, key: key)
            warmedUp = warm.results.accepted
            print(String(format: "warm-up: %d messages accepted in %.2f s", warmedUp, Self.seconds(warm.elapsed)))
        }
        let clock = ContinuousClock()
        let (results, elapsed) = try await self.send(self.messages, from: 0, run: runID, key: key)
        let start = clock.now - elapsed
        let seconds = Self.seconds(elapsed)
        let latencies = results.answers.map(\.latency).sorted()
        if let path = self.latencyLog {
            let lines = results.answers.sorted { $0.sent < $1.sent }.map {
                String(
                    format: "%.3f %.3f %.3f\n",
                    Self.seconds($0.sent) * 1_000,
                    Self.seconds($0.latency) * 1_000,
                    Self.seconds($0.late) * 1_000
                )
            }
            try lines.joined().write(toFile: path, atomically: true, encoding: .utf8)
        }
        print(
            "sent \(self.messages) messages in \(results.answers.count) requests over \(self.concurrency) connections"
                + (self.rate.map { String(format: ", offered at %.0f messages/s", $0) } ?? "")
        )
        print(
            String(
                format: "accepted %d in %.2f s: %.0f messages/s",
                results.accepted,
                seconds,
                Double(results.accepted) / seconds
            )
        )
        if results.refusedItems > 0 {
            print("refused in batches answered 207: \(results.refusedItems) items")
        }
        if !results.refused.isEmpty {
            print(
                "refused: \(results.refused.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))"
            )
        }
        print(
            "accept latency per request: p50 \(Self.ms(latencies, 0.50)) ms, p90 \(Self.ms(latencies, 0.90)) ms, "
                + "p99 \(Self.ms(latencies, 0.99)) ms, max \(Self.ms(latencies, 1.0)) ms"
        )
        if self.rate != nil {
            // The tool shares the machine: when the CPU is busy it too wakes late, and that counts.
            let late = results.answers.map(\.late).sorted()
            print(
                "of which sent late by this tool (waking up, or every connection busy): p50 \(Self.ms(late, 0.50)) ms, "
                    + "p99 \(Self.ms(late, 0.99)) ms, max \(Self.ms(late, 1.0)) ms"
            )
        }
        guard !self.noWait else { return }

        // Final when the service counts every message of this run (and the warm-up one) finished,
        // or, without /metrics, when nothing of this run is queued, sending or sent any more; the
        // listing below checks the outcome either way. Listing by status scans the run's messages,
        // so it is polled only without /metrics: polled often, it would slow what it measures.
        let deadline = clock.now + .seconds(self.deliveryTimeout)
        while clock.now < deadline {
            var pending = false
            if let finishedBefore, let finished = try await self.finishedCount(client: client) {
                pending = finished - finishedBefore < results.accepted + warmedUp + 1
            } else {
                for status in ["queued", "sending", "sent"] where !pending {
                    pending = try await self.any(client: client, key: key, status: status, since: startedAt)
                }
            }
            if !pending { break }
            try await Task.sleep(for: .milliseconds(finishedBefore == nil ? 500 : 100))
        }
        let done = clock.now - start
        var notDelivered: [String] = []
        for status in ["queued", "sending", "sent", "undelivered", "expired", "rejected", "failed"] {
            if try await self.any(client: client, key: key, status: status, since: startedAt) {
                notDelivered.append(status)
            }
        }
        if notDelivered.isEmpty {
            print(
                String(
                    format: "all delivered %.2f s after the first request: %.0f messages/s end to end",
                    Self.seconds(done),
                    Double(results.accepted) / Self.seconds(done)
                )
            )
        } else {
            print(
                "not all delivered after \(Self.seconds(done)) s; some are still: \(notDelivered.joined(separator: ", "))"
            )
            throw ExitCode.failure
        }
    }

    /// Sends messages `first ..< first + count` in requests of `batch`, from `concurrency`
    /// connections, at `rate` if one is given; returns what was answered (request times from the
    /// start) and how long it took.
    func send(
        _ count: Int,
        from first: Int,
        run runID: String,
        key: String
    ) async throws -> (results: WorkerResult, elapsed: Duration) {
        guard let url = URL(string: self.url), let host = url.host, url.scheme == "http" else {
            throw ValidationError("--url: give http://host:port")
        }
        let requests = (count + self.batch - 1) / self.batch
        let sizes = (0..<requests).map { min(self.batch, count - $0 * self.batch) }
        // Every body is made before the clock starts: the tool shares the machine with what it measures.
        let bodies = sizes.indices.map { Self.body(index: first + $0 * self.batch, run: runID, count: sizes[$0]) }
        var head = HTTPRequestHead(
            version: .http1_1,
            method: .POST,
            uri: url.path + (self.batch > 1 ? "/v1/messages/batch" : "/v1/messages")
        )
        head.headers.add(name: "Host", value: "\(host):\(url.port ?? 80)")
        head.headers.add(name: "Authorization", value: "Bearer \(key)")
        head.headers.add(name: "Content-Type", value: "application/json")
        let plan = LoadPlan(
            head: head,
            bodies: bodies,
            sizes: sizes,
            interval: self.rate.map { .nanoseconds(Int64((Double(self.batch) / $0 * 1e9).rounded())) }
        )
        let (start, results) = try await plan.run(
            connections: min(self.concurrency, requests),
            host: host,
            port: url.port ?? 80
        )
        return (results, .nanoseconds((NIODeadline.now() - start).nanoseconds))
    }

    static func body(index: Int, run: String, count: Int) -> ByteBuffer {
        func message(_ number: Int) -> String {
            #"{"to":"+4477009\#(String(format: "%05d", abs(number) % 100_000))","from":"Bench","text":"Load test \#(run) message \#(number)","client_ref":"\#(run)-\#(number)"}"#
        }
        if count == 1 { return ByteBuffer(string: message(index)) }
        return ByteBuffer(
            string: #"{"messages":["# + (index..<index + count).map(message).joined(separator: ",") + "]}"
        )
    }

    /// Posts one request; answers its HTTP status and, for a batch's 207, how many items it stored.
    func post(
        client: HTTPClient,
        key: String,
        body: ByteBuffer,
        batch: Bool = false
    ) async throws -> (status: Int, accepted: Int) {
        var request = HTTPClientRequest(url: self.url + (batch ? "/v1/messages/batch" : "/v1/messages"))
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 16 << 20)
        guard response.status.code == 207 else { return (Int(response.status.code), 0) }
        return (207, try JSONDecoder().decode(BatchCounts.self, from: answer).accepted)
    }

    /// The sum of `smsbridge_messages_total` over the final statuses, from the service's `/metrics`;
    /// nil when it serves none.
    func finishedCount(client: HTTPClient) async throws -> Int? {
        let response = try await client.execute(HTTPClientRequest(url: "\(self.url)/metrics"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { return nil }
        let finals = ["delivered", "undelivered", "expired", "rejected", "failed"].map { "status=\"\($0)\"" }
        var total = 0
        for line in String(buffer: body).split(separator: "\n") where line.hasPrefix("smsbridge_messages_total{") {
            guard finals.contains(where: { line.contains($0) }), let value = line.split(separator: " ").last else {
                continue
            }
            total += Int(Double(value) ?? 0)
        }
        return total
    }

    func any(client: HTTPClient, key: String, status: String, since: Date) async throws -> Bool {
        let since = ISO8601DateFormatter().string(from: since.addingTimeInterval(-1))
        var request = HTTPClientRequest(url: "\(self.url)/v1/messages?status=\(status)&limit=1&created_since=\(since)")
        request.headers.add(
            name: "Authorization",
            value: "Bearer \(self.apiKey ?? ProcessInfo.processInfo.environment["SMSBRIDGE_KEY"]!)"
        )
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw ValidationError("listing \(status): HTTP \(response.status.code) \(String(buffer: body))")
        }
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        return !((json?["data"] as? [Any]) ?? []).isEmpty
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func ms(_ sorted: [Duration], _ quantile: Double) -> String {
        guard !sorted.isEmpty else { return "-" }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * quantile).rounded(.up)) - 1)
        return String(format: "%.1f", Self.seconds(sorted[max(0, index)]) * 1_000)
    }
}

struct WorkerResult: Sendable {
    /// Each request's send (or due) time since the start, latency, and how late the tool sent it
    /// (open loop: the time between when it was due and when a connection took it; part of its
    /// latency).
    var answers: [(sent: Duration, latency: Duration, late: Duration)] = []
    var accepted = 0
    /// Items a batch's 207 refused (each with its own problem).
    var refusedItems = 0
    /// Messages of requests refused as a whole, by HTTP status.
    var refused: [Int: Int] = [:]

    mutating func merge(_ other: WorkerResult) {
        self.answers += other.answers
        self.accepted += other.accepted
        self.refusedItems += other.refusedItems
        self.refused.merge(other.refused, uniquingKeysWith: +)
    }
}

/// Hands out request numbers to the workers.
final class Counter: Sendable {
    private let value = Mutex(0)

    func next(below limit: Int) -> Int? {
        self.value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
