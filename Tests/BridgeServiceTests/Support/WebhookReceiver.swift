import BridgeTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on 127.0.0.1 that records the webhooks it receives and answers as told
/// (200 by default). It can be stopped and started again on the same port, like a customer's
/// endpoint that goes down for a while.
final class WebhookReceiver: Sendable {
    struct Request: Sendable {
        /// The request target: path and query.
        var uri = "/"
        var headers: HTTPHeaders
        var body: String

        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any] ?? [:]
        }

        var eventID: String? { self.headers.first(name: "SMSBridge-Event-ID") }
        var data: [String: Any] { ((try? self.json()) ?? [:])["data"] as? [String: Any] ?? [:] }
    }

    /// How to answer a request: a status code and headers, after an optional delay.
    struct Answer: Sendable {
        var status: Int = 200
        var delay: Duration?
        var headers: [(String, String)] = []
    }

    private struct State {
        var requests: [Request] = []
        var answer: @Sendable (Request, _ index: Int) -> Answer = { _, _ in Answer() }
        var server: (any Channel)?
        /// From ``start()`` until ``stop()``.
        var listening = false
        var connections: [ObjectIdentifier: any Channel] = [:]
        var port: Int?
    }

    private let state = Mutex(State())

    var port: Int { self.state.withLock { $0.port ?? 0 } }
    var url: String { "http://127.0.0.1:\(self.port)/hooks" }
    var requests: [Request] { self.state.withLock { $0.requests } }

    /// Sets how requests are answered from now on (`index` counts every request received).
    func answer(_ answer: @escaping @Sendable (Request, _ index: Int) -> Answer) {
        self.state.withLock { $0.answer = answer }
    }

    /// Listens on a free port, or on the port it had before it was stopped.
    func start() async throws {
        let port = self.state.withLock { state in
            state.listening = true
            return state.port
        } ?? 0
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(receiver: self))
                    let id = ObjectIdentifier(channel)
                    // A connection accepted while `stop()` runs is closed, not served.
                    let listening = self.state.withLock { state in
                        if state.listening { state.connections[id] = channel }
                        return state.listening
                    }
                    if !listening { channel.close(promise: nil) }
                    channel.closeFuture.whenComplete { _ in
                        _ = self.state.withLock { $0.connections.removeValue(forKey: id) }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.state.withLock {
            $0.server = server
            $0.port = server.localAddress?.port
        }
    }

    /// Stops listening and closes every open connection: posts are refused until ``start()``.
    func stop() async throws {
        let (server, connections) = self.state.withLock { state in
            defer {
                state.server = nil
                state.listening = false
                state.connections = [:]
            }
            return (state.server, Array(state.connections.values))
        }
        try await server?.close()
        for connection in connections { try? await connection.close() }
    }

    /// Waits until `count` requests arrived (or throws after `timeout`); returns them all.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let requests = self.requests
            if requests.count >= count { return requests }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError(description: "the receiver got \(self.requests.count) requests, not \(count)")
    }

    fileprivate func received(_ request: Request) -> Answer {
        self.state.withLock { state in
            state.requests.append(request)
            return state.answer(request, state.requests.count - 1)
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let receiver: WebhookReceiver
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(receiver: WebhookReceiver) {
            self.receiver = receiver
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body.clear()
            case .body(var chunk):
                self.body.writeBuffer(&chunk)
            case .end:
                guard let head = self.head else { return }
                let answer = self.receiver.received(
                    Request(uri: head.uri, headers: head.headers, body: String(buffer: self.body))
                )
                let respond = { [self] in
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Length", value: "2")
                    for (name, value) in answer.headers { headers.add(name: name, value: value) }
                    let status = HTTPResponseStatus(statusCode: answer.status)
                    context.write(
                        self.wrapOutboundOut(
                            .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
                        ),
                        promise: nil
                    )
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if let delay = answer.delay {
                    let nanoseconds =
                        delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
                    context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { respond() }
                } else {
                    respond()
                }
            }
        }
    }
}

/// Checks a webhook's signature with an independent implementation (Python's hmac module):
/// `v1=` values in `SMSBridge-Signature` that match `secret` over `"<timestamp>.<body>"`. Awaits the
/// child process instead of blocking a thread of the concurrency pool (two cores, two threads).
func pythonVerifies(_ request: WebhookReceiver.Request, secret: String) async throws -> Bool {
    var environment = ProcessInfo.processInfo.environment
    environment["SECRET"] = secret
    environment["TIMESTAMP"] = request.headers.first(name: "SMSBridge-Timestamp") ?? ""
    environment["SIGNATURE"] = request.headers.first(name: "SMSBridge-Signature") ?? ""
    environment["BODY"] = request.body
    let child = try ChildProcess(
        "/usr/bin/env",
        [
            "python3", "-c",
            """
            import hmac, hashlib, os, sys
            secret = os.environb[b"SECRET"]
            timestamp = os.environb[b"TIMESTAMP"]
            body = os.environb[b"BODY"]
            expected = hmac.new(secret, timestamp + b"." + body, hashlib.sha256).hexdigest()
            given = [part.strip()[3:] for part in os.environ["SIGNATURE"].split(",") if part.strip().startswith("v1=")]
            sys.exit(0 if any(hmac.compare_digest(expected, value) for value in given) else 1)
            """,
        ],
        environment: environment
    )
    return try await child.wait(timeout: .seconds(30)) == 0
}

/// A wall clock that moves only when told.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        self.current = Mutex(start)
    }

    var now: Date { self.current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        self.current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
