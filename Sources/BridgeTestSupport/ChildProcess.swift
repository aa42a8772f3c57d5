import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process with its output captured, for interop tests (python-smpplib) and our
/// executables (`smsc-sim`, `smsbridge`). Every wait has a timeout; a child that outlives it is killed by its PID.
public final class ChildProcess: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private struct State {
        var stdout = Data()
        var stderr = Data()
        var status: Int32?
        /// Output streams that reached their end.
        var ended = 0
        var exitWaiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// The state, in a class of its own so the pipe and exit handlers can hold it.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let process: Process
    private let shared = Shared()
    public let pid: Int32

    /// Starts `executable` with `arguments`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        self.process = process

        let shared = self.shared
        // Each stream is read until its end; the exit is reported once both ended (or, should a
        // grandchild keep a pipe open, shortly after the exit), so no output is missing then.
        for (pipe, isOut) in [(stdout, true), (stderr, false)] {
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                shared.state.withLock { state in
                    if data.isEmpty {
                        state.ended += 1
                    } else if isOut {
                        state.stdout.append(data)
                    } else {
                        state.stderr.append(data)
                    }
                }
                if data.isEmpty { handle.readabilityHandler = nil }
            }
        }
        process.terminationHandler = { process in
            var waited = 0
            while shared.state.withLock({ $0.ended < 2 }) && waited < 200 {
                usleep(10_000)
                waited += 1
            }
            let waiters = shared.state.withLock { state in
                state.status = process.terminationStatus
                defer { state.exitWaiters = [] }
                return state.exitWaiters
            }
            for waiter in waiters { waiter.resume(returning: process.terminationStatus) }
        }
        try process.run()
        self.pid = process.processIdentifier
    }

    public var stdout: String { self.shared.state.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    public var stderr: String { self.shared.state.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    /// Waits until standard output contains a match of `regex`, and returns the first match's first capture.
    public func waitForOutput(_ pattern: String, timeout: Duration = .seconds(10)) async throws -> String {
        let regex = try Regex(pattern)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if let match = self.stdout.firstMatch(of: regex) {
                return match.output.count > 1 ? (match.output[1].substring.map(String.init) ?? "") : ""
            }
            if self.shared.state.withLock({ $0.status }) != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(description: "no output matching \(pattern); stdout:\n\(self.stdout)\nstderr:\n\(self.stderr)")
    }

    /// Waits for the process to exit; kills it (SIGKILL) and throws when it takes longer than `timeout`.
    @discardableResult
    public func wait(timeout: Duration) async throws -> Int32 {
        let exitedInTime = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await self.exitStatus()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next()!
            if !first { self.kill(SIGKILL) }
            group.cancelAll()
            return first
        }
        let status = await self.exitStatus()
        guard exitedInTime else {
            throw Failure(
                description: "process \(self.pid) did not exit within \(timeout) and was killed; "
                    + "stdout:\n\(self.stdout)\nstderr:\n\(self.stderr)"
            )
        }
        return status
    }

    /// The exit status, once the process has exited.
    private func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done: Int32? = self.shared.state.withLock { state in
                if let status = state.status { return status }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Sends a signal to this process (by its PID).
    public func kill(_ signal: Int32) {
        if self.process.isRunning { _ = Glibc.kill(self.pid, signal) }
    }
}
