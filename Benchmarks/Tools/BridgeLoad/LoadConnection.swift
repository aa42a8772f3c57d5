import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The requests of one run, shared by its connections: request `i` carries `bodies[i]` (`sizes[i]`
/// messages); in an open loop it is due at the start + i × `interval`.
final class LoadPlan: Sendable {
    let head: HTTPRequestHead
    let bodies: [ByteBuffer]
    let sizes: [Int]
    let interval: TimeAmount?
    let counter = Counter()

    init(head: HTTPRequestHead, bodies: [ByteBuffer], sizes: [Int], interval: TimeAmount?) {
        self.head = head
        self.bodies = bodies
        self.sizes = sizes
        self.interval = interval
    }
}

/// Starts a connected load connection's requests; every connection of a run gets the same start.
struct StartLoad {
    var at: NIODeadline
}

/// One load connection: sends the plan's next request as soon as the last is answered (or when it
/// is due), measures each on its event loop, and succeeds `done` with what it measured once the
/// plan has no request left.
///
/// Everything happens on the connection's event loop, without a task per request: the tool shares
/// the machine with what it measures, and an HTTP client library's request machinery (its pool,
/// tasks and thread hops) had cost about 64 µs of CPU per request, a third of a core at 5 000
/// requests a second.
final class LoadConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let plan: LoadPlan
    private let done: EventLoopPromise<WorkerResult>
    private var start = NIODeadline.now()
    private var finished = false
    private var result = WorkerResult()
    /// The request awaiting its answer: its number, when it was sent (or due), how late it left.
    private var current: (request: Int, sent: NIODeadline, late: TimeAmount)?
    private var status = 0
    private var body: ByteBuffer?

    init(plan: LoadPlan, done: EventLoopPromise<WorkerResult>) {
        self.plan = plan
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let start = event as? StartLoad else { return context.fireUserInboundEventTriggered(event) }
        self.start = start.at
        self.next(context: context)
    }

    private func next(context: ChannelHandlerContext) {
        guard let request = self.plan.counter.next(below: self.plan.bodies.count) else {
            self.finish(.success(self.result), context: context)
            return
        }
        let now = NIODeadline.now()
        guard let interval = self.plan.interval else {
            self.send(request, sent: now, late: .zero, context: context)
            return
        }
        // Open loop: a request sent late (every connection busy) counts its latency from when it
        // was due, not from when it left, so a slow service cannot hide its queue.
        let due = self.start + interval * Int64(request)
        if due > now {
            context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
                self.send(request, sent: due, late: NIODeadline.now() - due, context: context)
            }
        } else {
            self.send(request, sent: due, late: now - due, context: context)
        }
    }

    private func send(_ request: Int, sent: NIODeadline, late: TimeAmount, context: ChannelHandlerContext) {
        self.current = (request, sent, late)
        var head = self.plan.head
        head.headers.replaceOrAdd(name: "Content-Length", value: String(self.plan.bodies[request].readableBytes))
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(self.plan.bodies[request]))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
            self.body = nil
        case .body(var part):
            // Only a batch's 207 is read (for how many items it stored).
            if self.status == 207 { self.body.setOrWriteBuffer(&part) }
        case .end:
            guard let current = self.current else { return }
            self.current = nil
            let latency = NIODeadline.now() - current.sent
            self.result.answers.append(
                (
                    sent: .nanoseconds((current.sent - self.start).nanoseconds),
                    latency: .nanoseconds(latency.nanoseconds),
                    late: .nanoseconds(current.late.nanoseconds)
                )
            )
            let size = self.plan.sizes[current.request]
            switch self.status {
            case 202:
                self.result.accepted += size
            case 207:
                let accepted = self.body.flatMap { try? JSONDecoder().decode(BatchCounts.self, from: $0) }?.accepted ?? 0
                self.result.accepted += accepted
                self.result.refusedItems += size - accepted
            default:
                self.result.refused[self.status, default: 0] += size
            }
            self.next(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finish(.failure(error), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closed before the plan ran out (by the service, or an error above): a failure.
        struct ConnectionClosed: Error {}
        self.finish(.failure(ConnectionClosed()), context: context)
        context.fireChannelInactive()
    }

    private func finish(_ outcome: Result<WorkerResult, any Error>, context: ChannelHandlerContext) {
        guard !self.finished else { return }
        self.finished = true
        self.done.completeWith(outcome)
        context.close(promise: nil)
    }
}

/// The counts of a batch's 207 (its per-item results are left unread).
struct BatchCounts: Decodable {
    var accepted: Int
}

extension LoadPlan {
    /// Runs the plan over `connections` connections to `host:port`, all connected before the
    /// start; returns when it started and what the connections measured (request times from then).
    func run(connections: Int, host: String, port: Int) async throws -> (started: NIODeadline, WorkerResult) {
        let group = MultiThreadedEventLoopGroup.singleton
        var channels: [any Channel] = []
        var measured: [EventLoopFuture<WorkerResult>] = []
        for _ in 0..<connections {
            let done = group.next().makePromise(of: WorkerResult.self)
            let plan = self
            let channel = try await ClientBootstrap(group: done.futureResult.eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(LoadConnectionHandler(plan: plan, done: done))
                    }
                }
                .connect(host: host, port: port)
                .get()
            channels.append(channel)
            measured.append(done.futureResult)
        }
        let start = NIODeadline.now()
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(StartLoad(at: start)) }
        var all = WorkerResult()
        for future in measured { all.merge(try await future.get()) }
        return (start, all)
    }
}
