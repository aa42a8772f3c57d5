import BridgeTestSupport
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A Python program from `Tests/Interop/` run as an independent SMPP peer (a ``ChildProcess``),
/// stopped by its PID.
final class PythonPeer: Sendable {
    private let child: ChildProcess

    static var interopDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Interop")
    }

    /// Starts `python3 Tests/Interop/<script> <arguments…>`.
    init(script: String, arguments: [String]) throws {
        self.child = try ChildProcess(
            "/usr/bin/env",
            ["python3", Self.interopDirectory.appendingPathComponent(script).path] + arguments
        )
    }

    /// What the program printed so far (standard output, then standard error).
    var outputSoFar: String { self.child.stdout + self.child.stderr }

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
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PeerExited(output: await self.stop())
    }

    /// Stops the program (SIGKILL to its PID: test peers flush every line, and signals that could be
    /// handled are blocked in processes started from the test runner) and returns what it printed.
    @discardableResult
    func stop() async -> String {
        self.child.kill(SIGKILL)
        _ = try? await self.child.wait(timeout: .seconds(5))
        return self.outputSoFar
    }

    struct PeerExited: Error, CustomStringConvertible {
        var output: String
        var description: String { "the Python peer did not start:\n\(self.output)" }
    }
}
