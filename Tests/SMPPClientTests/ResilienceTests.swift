import BridgeTestSupport
import Foundation
import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import NIOSSL
import SMPP
import SMPPClient
import SMSCSimulator
import Testing

@Suite(.timeLimit(.minutes(1))) struct ResilienceTests {
    @Test func unansweredSubmitsTimeOutRetryably() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.faults.noResponseRate = 1 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.responseTimeout = .milliseconds(300)
            }
            let logs = CapturedLogs()
            try await withConnector(configuration, logs: logs) { connector in
                do {
                    _ = try await connector.send(.text("lost", from: "Shop", to: "4477001"))
                    Issue.record("expected a timeout")
                } catch let error as SMPPClientError {
                    #expect(error == .session(.responseTimeout))
                    #expect(error.isRetryable)
                }
            }
            // An operator sees it: a silent SMSC is not only a metric.
            let warnings = logs.records("no response from the SMSC in time; the requests fail retryably")
            #expect(warnings.map(\.level) == [.warning])
            #expect(warnings.first?.metadata["requests"] == "1")
        }
    }

    @Test func errorStatusesReachTheCaller() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests {
            $0.faults.errorRate = 1
            $0.faults.errorStatus = .invalidDestinationAddress
        }
        try await withSimulator(simulatorConfiguration) { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                do {
                    _ = try await connector.send(.text("bad", from: "Shop", to: "4477001"))
                    Issue.record("expected a rejection")
                } catch let error as SMPPClientError {
                    #expect(error == .rejected(.invalidDestinationAddress))
                    #expect(!error.isRetryable)
                }
            }
        }
    }

    @Test func droppedConnectionMidWindowLeavesNoCallerHanging() async throws {
        // Answers take 200 ms; the connection drops after 6 PDUs (bind + 5 submits), mid-window.
        let simulatorConfiguration = SimulatorConfiguration.forClientTests {
            $0.throttling.responseDelay = 0.2
            $0.faults.dropAfterPDUs = 6
        }
        try await withSimulator(simulatorConfiguration) { simulator in
            try await withConnector(.forTests(port: simulator.port!) { $0.window = 10 }) { connector in
                let outcomes = await withTaskGroup(of: Result<[SubmitResult], any Error>.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            do {
                                return .success(
                                    try await connector.send(.text("w\(index)", from: "Shop", to: "4477001"))
                                )
                            } catch {
                                return .failure(error)
                            }
                        }
                    }
                    return await group.reduce(into: [Result<[SubmitResult], any Error>]()) { $0.append($1) }
                }
                #expect(outcomes.count == 8, "every caller got an answer")
                // The 5 submits the simulator read were not answered yet when it dropped: at least those fail.
                let failures = outcomes.compactMap { outcome -> (any Error)? in
                    if case .failure(let error) = outcome { return error }
                    return nil
                }
                #expect(failures.count >= 5, "the drop hit requests in flight")
                for error in failures {
                    #expect(error as? SMPPClientError == .session(.connectionClosed), "\(error)")
                }
                #expect(simulator.counters.droppedConnections >= 1)
                // The session comes back on its own and carries the next message (the fault is switched off).
                simulator.reconfigure { $0.faults.dropAfterPDUs = nil }
                try await eventually("a new bind") { connector.status().sessions[0].state == "bound" }
                _ = try await connector.send(.text("after", from: "Shop", to: "4477001"))
                #expect(connector.status().sessions[0].reconnects >= 1)
            }
        }
    }

    @Test func failsOverToTheBackupHost() async throws {
        try await withSimulator { simulator in
            // Nothing listens on the primary.
            let closedPort = try await freePort()
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.endpoints = [
                    .init(host: "127.0.0.1", port: closedPort), .init(host: "127.0.0.1", port: simulator.port!),
                ]
            }
            try await withConnector(configuration) { connector in
                _ = try await connector.send(.text("via backup", from: "Shop", to: "4477001"))
                #expect(connector.status().sessions[0].endpoint == "tcp://127.0.0.1:\(simulator.port!)")
            }
        }
    }

    @Test func bindsOverTLS() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests {
            $0.tls = .init(port: 0, certificatePath: TLSFixture.certificate, privateKeyPath: TLSFixture.privateKey)
        }
        try await withSimulator(simulatorConfiguration) { simulator in
            let tlsPort = try #require(simulator.tlsPort)
            let configuration = ConnectorConfiguration.forTests(port: tlsPort) {
                $0.endpoints = [.init(host: "localhost", port: tlsPort, useTLS: true)]
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .file(TLSFixture.certificate)
                $0.tls = tls
            }
            try await withConnector(configuration) { connector in
                let result = try await connector.send(.text("secret", from: "Shop", to: "4477001"))[0]
                #expect(simulator.message(id: result.messageID)?.text == "secret")
            }
        }
    }

    /// An SMSC account that refuses the connector's bind with `status` until it is fixed.
    struct CredentialRefusal: Sendable, CustomTestStringConvertible {
        var status: CommandStatus
        var refusing: [SimulatorConfiguration.User]
        var fixed: [SimulatorConfiguration.User]

        var testDescription: String { self.status.name ?? "\(self.status)" }

        static let all = [
            CredentialRefusal(
                status: .invalidPassword,
                refusing: [.init(systemID: "esme", password: "other")],
                fixed: [.init(systemID: "esme", password: "secret")]
            ),
            CredentialRefusal(
                status: .invalidSystemID,
                refusing: [.init(systemID: "other", password: "secret")],
                fixed: [.init(systemID: "esme", password: "secret")]
            ),
            CredentialRefusal(
                status: .bindFailed,
                refusing: [.init(systemID: "esme", password: "secret", bindTypes: [.transmitter])],
                fixed: [.init(systemID: "esme", password: "secret")]
            ),
        ]
    }

    @Test(arguments: CredentialRefusal.all)
    func refusedCredentialsRaiseAnAlertInsteadOfAReconnectStorm(_ refusal: CredentialRefusal) async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.users = refusal.refusing }
        try await withSimulator(simulatorConfiguration) { simulator in
            try await withConnector(.forTests(port: simulator.port!)) { connector in
                try await eventually("the alert") { connector.status().state == "alert" }
                #expect(connector.status().alert?.contains(refusal.status.name!) == true)
                do {
                    _ = try await connector.send(.text("x", from: "Shop", to: "4477001"))
                    Issue.record("expected unavailable")
                } catch let error as SMPPClientError {
                    guard case .unavailable = error else {
                        Issue.record("expected unavailable, got \(error)")
                        return
                    }
                }
                try await Task.sleep(for: .milliseconds(400))
                #expect(simulator.counters.bindFailures == 1, "no further binds after the refusal")
                // Fixing the account on the SMSC side and resuming binds again.
                simulator.reconfigure { $0.users = refusal.fixed }
                connector.resume()
                _ = try await connector.send(.text("after resume", from: "Shop", to: "4477001"))
            }
        }
    }

    @Test func submitsSpreadOverSessionsAndADroppedOneIsRepairedWhileTheOtherServes() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.throttling.responseDelay = 0.05 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.sessions = 2
                $0.window = 5
                // Long enough to send a batch while one session is down.
                $0.reconnectBackoff = Backoff(initial: .seconds(1), maximum: .seconds(1), multiplier: 2, jitter: 0)
            }
            try await withConnector(configuration) { connector in
                try await eventually("both binds") { connector.status().sessions.allSatisfy { $0.state == "bound" } }
                let spread = try await connector.submit(parts: connector.texts(20, "s")).map { try $0.get() }
                #expect(Set(spread.map(\.session)) == [0, 1], "both sessions carried submits")
                #expect(connector.status().sessions.allSatisfy { $0.sent >= 5 })

                let dropped = try #require(await simulator.sessions().first)
                simulator.closeSession(dropped.id)
                try await eventually("a session to wait for its reconnect") {
                    connector.status().sessions.contains { $0.state == "waiting" }
                }
                let down = try #require(connector.status().sessions.first { $0.state == "waiting" }).id
                let duringOutage = try await connector.submit(parts: connector.texts(10, "o")).map { try $0.get() }
                #expect(duringOutage.allSatisfy { $0.session == 1 - down }, "the other session served alone")
                #expect(connector.status().sessions[down].state == "waiting")

                try await eventually("the repair", timeout: .seconds(5)) {
                    connector.status().sessions.allSatisfy { $0.state == "bound" }
                }
                #expect(connector.status().sessions.map(\.reconnects) == (down == 0 ? [1, 0] : [0, 1]))
                let after = try await connector.submit(parts: connector.texts(20, "a")).map { try $0.get() }
                #expect(Set(after.map(\.session)) == [0, 1])
            }
        }
    }

    @Test func submitsWaitBoundedlyWhenNoSessionIsBound() async throws {
        let closedPort = try await freePort()
        let configuration = ConnectorConfiguration.forTests(port: closedPort) { $0.queueTimeout = .milliseconds(300) }
        try await withConnector(configuration) { connector in
            let start = ContinuousClock.now
            do {
                _ = try await connector.send(.text("nowhere", from: "Shop", to: "4477001"))
                Issue.record("expected a queue timeout")
            } catch let error as SMPPClientError {
                #expect(error == .queueTimeout)
                #expect(error.isRetryable)
            }
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            #expect(connector.status().sessions[0].state != "bound")
        }
    }

    @Test func gracefulShutdownWaitsForInFlightResponses() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.throttling.responseDelay = 0.3 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let connector = try SMPPConnector(configuration: .forTests(port: simulator.port!), logger: testLogger("c"))
            connector.start()
            try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
            let inFlight = Task { try await connector.send(.text("in flight", from: "Shop", to: "4477001")) }
            try await eventually("the submit to be sent") { connector.status().sessions[0].inFlight == 1 }
            await connector.shutdown()
            let result = try await inFlight.value
            #expect(result.count == 1, "the in-flight submit completed during shutdown")
            try await eventually("the unbind") { simulator.counters.unbinds == 1 }
            await #expect(throws: SMPPClientError.shuttingDown) {
                try await connector.send(.text("late", from: "Shop", to: "4477001"))
            }
        }
    }

    @Test func metricsCountSubmitsAndSessions() async throws {
        let metrics = TestMetrics()
        try await withSimulator { simulator in
            let connector = try SMPPConnector(
                configuration: .forTests(port: simulator.port!) { $0.name = "metered" },
                logger: testLogger("c"),
                metricsFactory: metrics
            )
            connector.start()
            _ = try await connector.send(.text("count me", from: "Shop", to: "4477001"))
            #expect(
                metrics.counterTotal(
                    label: "smpp_submits_total",
                    dimensions: [("connector", "metered"), ("result", "ok")]
                ) == 1
            )
            let bound = try metrics.expectGauge("smpp_sessions_bound", [("connector", "metered")])
            #expect(bound.lastValue == 1)
            #expect(
                try metrics.expectTimer("smpp_submit_duration_seconds", [("connector", "metered")]).values.count == 1
            )
            await connector.shutdown()
        }
    }
}

/// A loopback port with nothing listening on it.
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
        host: "127.0.0.1",
        port: 0
    ).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}
