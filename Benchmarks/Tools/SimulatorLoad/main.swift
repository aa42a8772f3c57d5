import Foundation
import Logging
import NIOCore
import NIOPosix
import SMPP
import SMSCSimulator

// `simulator-load`: measures how many submit_sm the simulator answers per second.
//
// Opens C connections on loopback, binds each as transmitter, keeps a window of W outstanding
// submit_sm per connection until N have been answered in total, and prints submits/s and the
// p50/p99 response time. Starts the simulator in-process (one event-loop thread by default, so the
// figure is per core) or connects to a running `smsc-sim` (`--port`), whose CPU time it reads from
// /proc when given `--server-pid`. Bounded in count (`--count`) and time (`--timeout`).
//
//   swift run -c release simulator-load --connections 1 --window 100 --count 1000000

struct Options {
    var port: Int?
    var connections = 1
    var window = 100
    var count = 1_000_000
    var timeout: Double = 60
    var serverThreads = 1
    var serverPID: Int32?
    var warmup = 10_000

    static let usage = """
        usage: simulator-load [--port P [--server-pid PID]] [--connections C] [--window W] [--count N]
                              [--timeout SECONDS] [--server-threads T] [--warmup N]
          --port P            connect to a running smsc-sim on 127.0.0.1:P (default: start one in-process)
          --server-pid PID    with --port: report the server's CPU time from /proc/PID/stat
          --connections C     connections, each bound as transmitter (default 1)
          --window W          outstanding submit_sm per connection (default 100)
          --count N           submit_sm answered in total, after warm-up (default 1000000)
          --timeout SECONDS   give up after this long (default 60)
          --server-threads T  event-loop threads of the in-process simulator (default 1 = one core)
          --warmup N          submit_sm per connection sent before measuring (default 10000)
        """

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw UsageError("\(name) needs a value") }
            return value
        }
        func int(_ name: String, minimum: Int = 1) throws -> Int {
            let text = try value(name)
            guard let number = Int(text), number >= minimum else {
                throw UsageError("\(name): '\(text)' is not ≥ \(minimum)")
            }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--port": self.port = try int(argument)
            case "--server-pid": self.serverPID = Int32(try int(argument))
            case "--connections": self.connections = try int(argument)
            case "--window": self.window = try int(argument)
            case "--count": self.count = try int(argument)
            case "--timeout": self.timeout = Double(try int(argument))
            case "--server-threads": self.serverThreads = try int(argument)
            case "--warmup": self.warmup = try int(argument, minimum: 0)
            case "-h", "--help":
                print(Self.usage)
                exit(0)
            default: throw UsageError("unknown argument \(argument)")
            }
        }
        guard self.window <= 100_000, self.connections <= 64 else {
            throw UsageError("at most 64 connections and a window of 100000")
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What every connection reports when it is done.
struct ConnectionResult: Sendable {
    var answered = 0
    var failed = 0
    /// Response times in nanoseconds, one per measured submit.
    var latencies: [UInt64] = []
}

/// Drives one connection: bind, warm up, then keep `window` submits outstanding until `count` are answered.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = SMPPFrameDecoder.Output
    typealias OutboundOut = SMPPFrame

    private let window: Int
    private let warmup: Int
    private let count: Int
    private let ready: EventLoopPromise<Void>
    private let go: EventLoopFuture<Void>
    private let done: EventLoopPromise<ConnectionResult>
    private let template: SMPPFrame
    private var sequenceNumbers = SequenceNumbers()
    private var sentAt: [UInt32: UInt64] = [:]
    private var sent = 0
    private var warmupAnswered = 0
    private var measuring = false
    private var result = ConnectionResult()

    init(
        window: Int,
        warmup: Int,
        count: Int,
        ready: EventLoopPromise<Void>,
        go: EventLoopFuture<Void>,
        done: EventLoopPromise<ConnectionResult>
    ) {
        self.window = window
        self.warmup = warmup
        self.count = count
        self.ready = ready
        self.go = go
        self.done = done
        self.template = SMPPFrame(
            .submitSM(
                SubmitSM(
                    source: Address(ton: .alphanumeric, npi: .unknown, "Load"),
                    destination: Address(ton: .international, npi: .isdn, "447700900123"),
                    shortMessage: ByteBuffer(string: "Your verification code is 123456. It expires in 10 minutes.")
                )
            ),
            sequenceNumber: 1
        )
        self.result.latencies.reserveCapacity(count)
    }

    func channelActive(context: ChannelHandlerContext) {
        let bind = SMPPFrame(
            .bindTransmitter(Bind(systemID: "load", password: "load")),
            sequenceNumber: self.sequenceNumbers.next()
        )
        context.writeAndFlush(self.wrapOutboundOut(bind), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(let frame) = self.unwrapInboundIn(data) else {
            self.result.failed += 1
            return
        }
        switch frame.pdu {
        case .bindTransmitterResp:
            guard frame.commandStatus.isSuccess else {
                self.done.fail(UsageError("bind refused: \(frame.commandStatus)"))
                return
            }
            self.fill(context: context)
        case .submitSMResp:
            let now = NIODeadline.now().uptimeNanoseconds
            guard let start = self.sentAt.removeValue(forKey: frame.sequenceNumber) else { return }
            if !frame.commandStatus.isSuccess { self.result.failed += 1 }
            if self.measuring {
                self.result.answered += 1
                self.result.latencies.append(now - start)
                if self.result.answered == self.count {
                    self.done.succeed(self.result)
                    context.close(promise: nil)
                    return
                }
            } else {
                self.warmupAnswered += 1
                if self.warmupAnswered == self.warmup {
                    // Warm-up over: wait for every connection, then measure.
                    self.ready.succeed(())
                    self.go.assumeIsolated().whenSuccess {
                        self.measuring = true
                        self.sent = 0
                        self.fill(context: context)
                        context.flush()
                    }
                    return
                }
            }
            self.fill(context: context)
        case .enquireLink:
            context.write(
                self.wrapOutboundOut(SMPPFrame(.enquireLinkResp, sequenceNumber: frame.sequenceNumber)),
                promise: nil
            )
        case .genericNack:
            self.result.failed += 1
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.ready.fail(UsageError("connection closed"))
        self.done.fail(UsageError("connection closed after \(self.result.answered) answers"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.done.fail(error)
        context.close(promise: nil)
    }

    /// Sends submits until the window is full or everything for this phase has been sent.
    private func fill(context: ChannelHandlerContext) {
        let target = self.measuring ? self.count : self.warmup
        while self.sentAt.count < self.window && self.sent < target {
            var frame = self.template
            frame.sequenceNumber = self.sequenceNumbers.next()
            self.sentAt[frame.sequenceNumber] = NIODeadline.now().uptimeNanoseconds
            self.sent += 1
            context.write(self.wrapOutboundOut(frame), promise: nil)
        }
        // Written frames are flushed in channelReadComplete (or by the caller outside a read).
    }
}

/// User and system CPU seconds of a process, or of one thread of this process, from /proc.
func cpuSeconds(pid: Int32, thread: Int32? = nil) -> Double? {
    let path = thread.map { "/proc/self/task/\($0)/stat" } ?? "/proc/\(pid)/stat"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After the command: state(0) … utime(11) stime(12), in clock ticks.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))
    return Double(sorted[index]) / 1000
}

func run(_ options: Options) async throws {
    var simulator: SMSCSimulator?
    var serverGroup: MultiThreadedEventLoopGroup?
    var serverThreads: [Int32] = []
    let port: Int
    if let given = options.port {
        port = given
    } else {
        var configuration = SimulatorConfiguration()
        configuration.port = 0
        configuration.control = nil
        configuration.enquireLinkInterval = 0
        configuration.storeCapacity = 100_000
        var logger = Logger(label: "smsc-sim")
        logger.logLevel = .warning
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.serverThreads)
        // The server's threads, to read their CPU time.
        for loop in group.makeIterator() {
            let link = try await loop.submit {
                try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
            }.get()
            if let tid = link.split(separator: "/").last.flatMap({ Int32($0) }) { serverThreads.append(tid) }
        }
        let started = SMSCSimulator(configuration: configuration, logger: logger, eventLoopGroup: group)
        try await started.start()
        simulator = started
        serverGroup = group
        port = started.port!
    }

    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: min(options.connections, 2))
    let perConnection = options.count / options.connections
    let goPromise = clientGroup.next().makePromise(of: Void.self)
    var readies: [EventLoopFuture<Void>] = []
    var dones: [EventLoopFuture<ConnectionResult>] = []
    var channels: [any Channel] = []
    for _ in 0..<options.connections {
        let loop = clientGroup.next()
        let ready = loop.makePromise(of: Void.self)
        let done = loop.makePromise(of: ConnectionResult.self)
        let go = goPromise.futureResult.hop(to: loop)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(ByteToMessageHandler(SMPPFrameDecoder()))
                    try operations.addHandler(MessageToByteHandler(SMPPFrameEncoder()))
                    try operations.addHandler(
                        LoadHandler(
                            window: options.window,
                            warmup: max(options.warmup, 1),
                            count: perConnection,
                            ready: ready,
                            go: go,
                            done: done
                        )
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        channels.append(channel)
        readies.append(ready.futureResult)
        dones.append(done.futureResult)
    }

    let opened = channels
    let deadline = clientGroup.next().scheduleTask(in: .seconds(Int64(options.timeout))) {
        for channel in opened { channel.close(promise: nil) }
    }

    try await EventLoopFuture.andAllSucceed(readies, on: clientGroup.next()).get()
    func serverCPU() -> Double? {
        if let pid = options.serverPID { return cpuSeconds(pid: pid) }
        guard !serverThreads.isEmpty else { return nil }
        return serverThreads.reduce(0) { $0 + (cpuSeconds(pid: 0, thread: $1) ?? 0) }
    }
    let cpuBefore = serverCPU()
    let start = NIODeadline.now()
    goPromise.succeed(())
    let results = try await EventLoopFuture.whenAllSucceed(dones, on: clientGroup.next()).get()
    let seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
    deadline.cancel()
    let cpuAfter = serverCPU()

    let answered = results.reduce(0) { $0 + $1.answered }
    let failed = results.reduce(0) { $0 + $1.failed }
    let latencies = results.flatMap(\.latencies).sorted()
    let rate = Double(answered) / seconds
    var line =
        "connections=\(options.connections) window=\(options.window) answered=\(answered) failed=\(failed) "
        + "seconds=\(String(format: "%.2f", seconds)) submits/s=\(Int(rate)) "
        + "p50=\(String(format: "%.0f", percentile(latencies, 0.5)))µs "
        + "p99=\(String(format: "%.0f", percentile(latencies, 0.99)))µs"
    if simulator != nil { line += " server-threads=\(options.serverThreads)" }
    if let before = cpuBefore, let after = cpuAfter, after > before {
        line +=
            " server-cpu=\(String(format: "%.2f", after - before))s"
            + " submits/server-cpu-s=\(Int(Double(answered) / (after - before)))"
    }
    print(line)

    for channel in channels { try? await channel.close() }
    try await clientGroup.shutdownGracefully()
    if let simulator {
        await simulator.stop()
        try await serverGroup?.shutdownGracefully()
    }
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    try await run(options)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("simulator-load: \(error)\n\(Options.usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("simulator-load: \(error)\n".utf8))
    exit(1)
}
