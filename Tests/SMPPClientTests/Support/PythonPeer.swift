import Foundation
import NIOCore
import NIOPosix

/// A Python program from `Tests/Interop/` run as an independent SMPP peer, stopped by its PID.
final class PythonPeer: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()

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
        try self.process.run()
        // Our copy of the write end must go, or reading the output never sees its end.
        try? self.output.fileHandleForWriting.close()
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
        let data = self.output.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self)
    }

    struct PeerExited: Error, CustomStringConvertible {
        var output: String
        var description: String { "the Python peer did not start:\n\(self.output)" }
    }
}
