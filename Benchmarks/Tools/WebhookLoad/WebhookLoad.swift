import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `webhook-load`: a webhook endpoint on 127.0.0.1 that answers every POST with 204 as fast as it
/// can, counts the events, and reports once `--expect` events arrived:
///
/// - deliveries per second, from the first event to the last;
/// - for `message.status` events, the added latency: arrival − the event's `created_at` (the time of
///   the database transaction that changed the status, e.g. the one that stored the receipt).
///
/// `scripts/bench-webhooks` starts PostgreSQL, the simulator, the service and this tool.
@main
struct WebhookLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-load",
        abstract: "A fast webhook endpoint that measures delivery rate and receipt-to-callback latency."
    )

    @Option(help: "Port to listen on (127.0.0.1).") var port = 9000
    @Option(help: "Report and exit after this many events.") var expect = 20_000
    @Option(help: "Give up after this many seconds.") var timeout = 600.0

    func run() async throws {
        let recorder = Recorder()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: self.port).get()
        print("listening on http://127.0.0.1:\(self.port)/", to: &standardError)
        let deadline = Date().addingTimeInterval(self.timeout)
        while recorder.count < self.expect, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await server.close()
        let (arrivals, latencies) = recorder.snapshot()
        guard let first = arrivals.min(), let last = arrivals.max() else {
            print("no events arrived")
            throw ExitCode.failure
        }
        let seconds = max(last.timeIntervalSince(first), 0.001)
        print(
            String(
                format: "%d events in %.2f s (first to last): %.0f deliveries/s",
                arrivals.count,
                seconds,
                Double(arrivals.count) / seconds
            )
        )
        let sorted = latencies.sorted()
        if !sorted.isEmpty {
            func quantile(_ q: Double) -> String {
                String(
                    format: "%.1f",
                    sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1))] * 1_000
                )
            }
            print(
                "status change → callback arrival (\(sorted.count) message.status events): p50 \(quantile(0.5)) ms, "
                    + "p90 \(quantile(0.9)) ms, p99 \(quantile(0.99)) ms, max \(quantile(1)) ms"
            )
        }
        if arrivals.count < self.expect {
            print("only \(arrivals.count) of \(self.expect) events arrived")
            throw ExitCode.failure
        }
    }
}

final class Recorder: Sendable {
    private struct State {
        var arrivals: [Date] = []
        var latencies: [Double] = []
        var seen: Set<String> = []
    }

    private let state = Mutex(State())
    private let parse = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    var count: Int { self.state.withLock { $0.seen.count } }

    func record(_ body: ByteBuffer, at arrival: Date) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let id = object["id"] as? String
        else { return }
        let latency: Double? =
            (object["type"] as? String == "message.status")
            ? (object["created_at"] as? String).flatMap { try? self.parse.parse($0) }.map {
                arrival.timeIntervalSince($0)
            }
            : nil
        self.state.withLock { state in
            // Repeats (at least once) are counted once.
            guard state.seen.insert(id).inserted else { return }
            state.arrivals.append(arrival)
            if let latency { state.latencies.append(latency) }
        }
    }

    func snapshot() -> ([Date], [Double]) { self.state.withLock { ($0.arrivals, $0.latencies) } }
}

final class Handler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let recorder: Recorder
    var body = ByteBuffer()
    var version = HTTPVersion.http1_1

    init(recorder: Recorder) {
        self.recorder = recorder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.version = head.version
            self.body.clear()
        case .body(var chunk):
            self.body.writeBuffer(&chunk)
        case .end:
            self.recorder.record(self.body, at: Date())
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "0")
            context.write(
                self.wrapOutboundOut(.head(.init(version: self.version, status: .noContent, headers: headers))),
                promise: nil
            )
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

nonisolated(unsafe) var standardError = FileHandle.standardError

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { self.write(Data(string.utf8)) }
}
