import ArgumentParser
import Logging
import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator

/// Measures submit_sm throughput of one SMPPConnector against smsc-sim over loopback.
///
///     swift run -c release connector-load --messages 200000 --windows 1,10,100,1000 --sessions 1,2,4
///
/// By default the simulator runs in the same process (both share the machine's cores, as the
/// issue asks: "client and simulator together"); `--port` targets a running smsc-sim instead.
@main
struct ConnectorLoad: AsyncParsableCommand {
    @Option(help: "Messages per run.") var messages = 100_000
    @Option(help: "Window sizes to measure, comma-separated.") var windows = "1,10,100,1000"
    @Option(help: "Session counts to measure, comma-separated.") var sessions = "1,2,4"
    @Option(help: "Port of a running smsc-sim; default: start one in-process.") var port: Int?
    @Option(help: "Seconds after which a run stops, whatever it has sent.") var timeLimit: Double = 60

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let windows = self.windows.split(separator: ",").compactMap { Int($0) }
        let sessionCounts = self.sessions.split(separator: ",").compactMap { Int($0) }

        var simulator: SMSCSimulator?
        var port = self.port ?? 0
        if self.port == nil {
            var configuration = SimulatorConfiguration()
            configuration.port = 0
            configuration.control = nil
            configuration.enquireLinkInterval = 0
            configuration.storeCapacity = 1_000
            let started = SMSCSimulator(configuration: configuration)
            try await started.start()
            port = started.port!
            simulator = started
        }
        print("messages per run: \(self.messages); simulator: \(self.port == nil ? "in-process" : "port \(port)")")
        print("sessions  window      msg/s   p50 ms   p99 ms   errors")
        for sessionCount in sessionCounts {
            for window in windows {
                let result = try await self.measure(port: port, sessions: sessionCount, window: window)
                print(
                    String(sessionCount).padding(8) + String(window).padding(8)
                        + String(Int(result.rate)).padding(11) + format(result.p50).padding(9)
                        + format(result.p99).padding(9) + String(result.errors).padding(9)
                )
                simulator?.reset()
            }
        }
        await simulator?.stop()
    }

    struct Measurement {
        var rate: Double
        var p50: Double
        var p99: Double
        var errors: Int
    }

    func measure(port: Int, sessions: Int, window: Int) async throws -> Measurement {
        var configuration = ConnectorConfiguration(
            name: "load",
            endpoints: [.init(host: "127.0.0.1", port: port)],
            systemID: "load",
            password: "load"
        )
        configuration.sessions = sessions
        configuration.window = window
        configuration.registeredDelivery = .none
        configuration.enquireLinkInterval = nil
        configuration.maxQueued = 1_000_000
        let connector = try SMPPConnector(configuration: configuration)
        connector.start()
        while connector.status().sessions.contains(where: { $0.state != "bound" }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let message = try connector.makeParts(for: .text("Your code is 123456", from: "Bench", to: "447700900123"))[0]
        // Enough submitters to keep every window full, no more (each waits for its response).
        let concurrency = sessions * window + sessions
        let total = self.messages
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(self.timeLimit)
        var latencies: [Duration] = []
        latencies.reserveCapacity(total)
        var errors = 0
        await withTaskGroup(of: Result<Duration, SMPPClientError>.self) { group in
            var started = 0
            func add() {
                started += 1
                group.addTask {
                    do {
                        return .success(try await connector.submit(message).latency)
                    } catch let error as SMPPClientError {
                        return .failure(error)
                    } catch {
                        return .failure(.invalidMessage("\(error)"))
                    }
                }
            }
            for _ in 0..<min(concurrency, total) { add() }
            for await result in group {
                switch result {
                case .success(let latency): latencies.append(latency)
                case .failure: errors += 1
                }
                if started < total, clock.now < deadline { add() }
            }
        }
        let elapsed = clock.now - start
        await connector.shutdown()
        latencies.sort()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        func percentile(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]
            return Double(value.components.seconds) * 1000 + Double(value.components.attoseconds) / 1e15
        }
        return Measurement(
            rate: Double(latencies.count) / seconds,
            p50: percentile(0.5),
            p99: percentile(0.99),
            errors: errors
        )
    }
}

private func format(_ milliseconds: Double) -> String {
    let hundredths = Int((milliseconds * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        self.count >= width ? self + " " : self + String(repeating: " ", count: width - self.count)
    }
}
