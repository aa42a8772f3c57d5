import Foundation
import Logging
import NIOCore
import NIOPosix
import SMPP
import SMSCSimulator

// `simulator-load`: measures how many submit_sm the simulator answers per second.
//
// Opens C connections on loopback, binds each as transmitter (transceiver with --receipts), keeps a
// window of W outstanding submit_sm per connection until N have been answered in total, and prints
// submits/s, the p50/p99 response time, and submits per second of server CPU. Starts the simulator
// in-process (one event-loop thread by default, so the figure is per core) or connects to a running
// `smsc-sim` (`--port`), whose CPU time it reads from /proc when given `--server-pid`. Bounded in
// count (`--count`) and time (`--timeout`).
//
// The client is kept cheap so that the server is what is measured: the submit_sm is encoded once
// with the SMPP codec and copied with a new sequence number; responses are read by their header.
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
    var receipts = false

    static let usage = """
        usage: simulator-load [--port P [--server-pid PID]] [--connections C] [--window W] [--count N]
                              [--timeout SECONDS] [--server-threads T] [--warmup N] [--receipts]
          --port P            connect to a running smsc-sim on 127.0.0.1:P (default: start one in-process)
          --server-pid PID    with --port: report the server's CPU time from /proc/PID/stat
          --connections C     connections, each bound as transmitter (default 1)
          --window W          outstanding submit_sm per connection (default 100)
          --count N           submit_sm answered in total, after warm-up (default 1000000)
          --timeout SECONDS   give up after this long (default 60)
          --server-threads T  event-loop threads of the in-process simulator (default 1 = one core)
          --warmup N          submit_sm per connection sent before measuring (default 10000)
          --receipts          ask for a receipt with every submit (in-process: sent at once) and
                              answer each deliver_sm; default: no receipts
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
            case "--receipts": self.receipts = true
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

/// A run that could not finish.
struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What every connection reports when it is done.
struct ConnectionResult: Sendable {
    var answered = 0
    var failed = 0
    var receipts = 0
    /// Response times in nanoseconds, one per measured submit.
    var latencies: [UInt64] = []
}

/// Drives one connection: bind, warm up, then keep `window` submits outstanding until `count` are answered.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let window: Int
    private let warmup: Int
    private let count: Int
    private let receipts: Bool
    private let ready: EventLoopPromise<Void>
    private let go: EventLoopFuture<Void>
    private let done: EventLoopPromise<ConnectionResult>
    /// The submit_sm, encoded once; each send copies it and writes its sequence number at offset 12.
    private let template: ByteBuffer
    private var sequenceNumbers = SequenceNumbers()
    /// Send times by sequence number modulo the ring size (0 = free).
    private var sentAt: [UInt64]
    private var outstanding = 0
    private var sent = 0
    private var warmupAnswered = 0
    private var measuring = false
    private var result = ConnectionResult()
    private var inbound = ByteBuffer()
    private var outbound = ByteBuffer()

    init(
        window: Int,
        warmup: Int,
        count: Int,
        receipts: Bool,
        ready: EventLoopPromise<Void>,
        go: EventLoopFuture<Void>,
        done: EventLoopPromise<ConnectionResult>
    ) throws {
        self.window = window
        self.warmup = warmup
        self.count = count
        self.receipts = receipts
        self.ready = ready
        self.go = go
        self.done = done
        var template = ByteBuffer()
        try template.writeSMPPFrame(
            SMPPFrame(
                .submitSM(
                    SubmitSM(
                        source: Address(ton: .alphanumeric, npi: .unknown, "Load"),
                        destination: Address(ton: .international, npi: .isdn, "447700900123"),
                        registeredDelivery: receipts ? .receipt : .none,
                        shortMessage: ByteBuffer(string: "Your verification code is 123456. It expires in 10 minutes.")
                    )
                ),
                sequenceNumber: 1
            )
        )
        self.template = template
        self.sentAt = Array(repeating: 0, count: max(16, window * 2))
        self.result.latencies.reserveCapacity(count)
    }

    func channelActive(context: ChannelHandlerContext) {
        let bind = Bind(systemID: "load", password: "load")
        var buffer = ByteBuffer()
        _ = try? buffer.writeSMPPFrame(
            SMPPFrame(
                self.receipts ? .bindTransceiver(bind) : .bindTransmitter(bind),
                sequenceNumber: self.sequenceNumbers.next()
            )
        )
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        if self.inbound.readableBytes == 0 {
            self.inbound = incoming
        } else {
            self.inbound.writeBuffer(&incoming)
        }
        // Read PDUs by their header: command_length, command_id, command_status, sequence_number.
        while let (length, commandID, status, sequenceNumber) = self.inbound.getMultipleIntegers(
            at: self.inbound.readerIndex,
            as: (UInt32, UInt32, UInt32, UInt32).self
        ) {
            guard length >= 16 else {
                self.done.fail(LoadError("command_length \(length) from the server"))
                context.close(promise: nil)
                return
            }
            guard self.inbound.readableBytes >= Int(length) else { break }
            self.inbound.moveReaderIndex(forwardBy: Int(length))
            self.received(commandID: commandID, status: status, sequenceNumber: sequenceNumber, context: context)
        }
        if self.inbound.readableBytes == 0 { self.inbound.clear() }
    }

    private func received(commandID: UInt32, status: UInt32, sequenceNumber: UInt32, context: ChannelHandlerContext) {
        switch commandID {
        case 0x8000_0002, 0x8000_0009:  // bind_transmitter_resp, bind_transceiver_resp
            guard status == 0 else {
                self.done.fail(LoadError("bind refused: status \(status)"))
                return
            }
            self.fill()
        case 0x8000_0004:  // submit_sm_resp
            let now = NIODeadline.now().uptimeNanoseconds
            let slot = Int(sequenceNumber) % self.sentAt.count
            let start = self.sentAt[slot]
            guard start != 0 else { return }
            self.sentAt[slot] = 0
            self.outstanding -= 1
            if status != 0 { self.result.failed += 1 }
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
                        self.fill()
                        self.flush(context: context)
                    }
                    return
                }
            }
            self.fill()
        case 0x0000_0005:  // deliver_sm (a receipt): deliver_sm_resp with a NULL message_id
            if self.measuring { self.result.receipts += 1 }
            self.outbound.writeMultipleIntegers(UInt32(17), UInt32(0x8000_0005), UInt32(0), sequenceNumber, UInt8(0))
        case 0x0000_0015:  // enquire_link
            self.outbound.writeMultipleIntegers(UInt32(16), UInt32(0x8000_0015), UInt32(0), sequenceNumber)
        case 0x8000_0000:  // generic_nack
            self.result.failed += 1
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flush(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.ready.fail(LoadError("connection closed"))
        self.done.fail(LoadError("connection closed after \(self.result.answered) answers"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.done.fail(error)
        context.close(promise: nil)
    }

    /// Queues submits until the window is full or everything for this phase has been sent.
    private func fill() {
        let target = self.measuring ? self.count : self.warmup
        while self.outstanding < self.window && self.sent < target {
            let sequenceNumber = self.sequenceNumbers.next()
            let start = self.outbound.writerIndex
            self.outbound.writeImmutableBuffer(self.template)
            self.outbound.setInteger(sequenceNumber, at: start + 12)
            self.sentAt[Int(sequenceNumber) % self.sentAt.count] = NIODeadline.now().uptimeNanoseconds
            self.outstanding += 1
            self.sent += 1
        }
    }

    private func flush(context: ChannelHandlerContext) {
        guard self.outbound.readableBytes > 0 else { return }
        context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
        self.outbound = context.channel.allocator.buffer(capacity: self.template.readableBytes * self.window)
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
        configuration.receipts.delay = 0
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
                    try channel.pipeline.syncOperations.addHandler(
                        LoadHandler(
                            window: options.window,
                            warmup: max(options.warmup, 1),
                            count: perConnection,
                            receipts: options.receipts,
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
    let timeout = options.timeout
    let deadline = clientGroup.next().scheduleTask(in: .seconds(Int64(timeout))) {
        FileHandle.standardError.write(Data("simulator-load: gave up after --timeout \(Int(timeout)) s\n".utf8))
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
    let receipts = results.reduce(0) { $0 + $1.receipts }
    let latencies = results.flatMap(\.latencies).sorted()
    let rate = Double(answered) / seconds
    var line =
        "connections=\(options.connections) window=\(options.window) answered=\(answered) failed=\(failed) "
        + "seconds=\(String(format: "%.2f", seconds)) submits/s=\(Int(rate)) "
        + "p50=\(String(format: "%.0f", percentile(latencies, 0.5)))µs "
        + "p99=\(String(format: "%.0f", percentile(latencies, 0.99)))µs"
    if options.receipts { line += " receipts=\(receipts)" }
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
