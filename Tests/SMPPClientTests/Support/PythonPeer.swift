import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A Python program from `Tests/Interop/` run as an independent SMPP peer, stopped by its PID.
final class PythonPeer: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    /// Everything the program printed so far, and whether its output has ended.
    private let printed = Printed()

    private final class Printed: Sendable {
        let state = Mutex<(text: Data, ended: Bool)>((Data(), false))
        func withLock<T>(_ body: (inout (text: Data, ended: Bool)) -> T) -> T { self.state.withLock { body(&$0) } }
    }

    static var interopDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Interop")
    }

    /// Starts `python3 Tests/Interop/<script> <arguments…>`.
    init(script: String, arguments: [String]) throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = ["python3", Self.interopDirectory.appendingPathComponent(script).path] + arguments
        self.process.standardOutput = self.output
        self.process.standardError = self.output
        let printed = self.printed
        self.output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            printed.withLock {
                if data.isEmpty { $0.ended = true } else { $0.text.append(data) }
            }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        try self.process.run()
        // Our copy of the write end must go, or reading the output never sees its end.
        try? self.output.fileHandleForWriting.close()
    }

    /// What the program printed so far.
    var outputSoFar: String { self.printed.withLock { String(decoding: $0.text, as: UTF8.self) } }

    /// Waits (bounded) until the program has printed `text`; a busy machine may run it late.
    func waitForOutput(containing text: String, timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        while !self.outputSoFar.contains(text) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until something accepts TCP connections on `port`.
    func waitUntilListening(port: Int, timeout: Duration = .seconds(10)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard self.process.isRunning else { throw PeerExited(output: self.stop()) }
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PeerExited(output: self.stop())
    }

    /// Stops the program (SIGKILL to its PID: test peers flush every line, and signals that could be
    /// handled are blocked in processes started from the test runner) and returns what it printed.
    @discardableResult
    func stop() -> String {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            var waited = 0
            while self.process.isRunning && waited < 500 {
                usleep(10_000)
                waited += 1
            }
        }
        var waited = 0
        while !self.printed.withLock({ $0.ended }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        return self.outputSoFar
    }

    struct PeerExited: Error, CustomStringConvertible {
        var output: String
        var description: String { "the Python peer did not start:\n\(self.output)" }
    }
}
