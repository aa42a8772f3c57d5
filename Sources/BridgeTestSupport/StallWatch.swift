import Foundation
import Synchronization

/// Names what the tests are waiting for, so that a stalled run says where it stalls.
///
/// Swift Testing's time limits cancel a test's task, but cannot end a wait that ignores
/// cancellation (an unstructured task's value, a continuation nobody resumes): such a test, and
/// the run, would then hang without a word. Waits wrapped in ``watch(_:file:line:_:)`` are listed
/// on standard error once they have lasted longer than `SMSBRIDGE_TEST_STALL_SECONDS` (default
/// 120), and again every further period while they last. One that lasts longer than
/// `SMSBRIDGE_TEST_STALL_ABORT_SECONDS` (default 600, far past every time limit) ends the test
/// process with a failure, after listing them all: a hung run fails in minutes and says where,
/// instead of sitting until CI's limit.
public enum StallWatch {
    private struct Entry {
        var what: String
        var location: String
        var started: ContinuousClock.Instant
        var reported: ContinuousClock.Instant?
    }

    private static let entries = Mutex<[Int: Entry]>([:])
    private static let counter = Atomic<Int>(0)
    private static let threshold: Duration = .seconds(
        ProcessInfo.processInfo.environment["SMSBRIDGE_TEST_STALL_SECONDS"].flatMap(Int.init) ?? 120
    )
    private static let abortAfter: Duration = .seconds(
        ProcessInfo.processInfo.environment["SMSBRIDGE_TEST_STALL_ABORT_SECONDS"].flatMap(Int.init) ?? 600
    )
    /// Started with the first watched wait; checks a few times per period for the whole run.
    private static let watchdog: Task<Void, Never> = Task.detached(priority: .high) {
        while true {
            try? await Task.sleep(for: threshold / 4)
            report(now: .now)
        }
    }

    /// Runs `body`, listed as `what` while it runs.
    public static func watch<T>(
        _ what: String,
        file: String = #fileID,
        line: Int = #line,
        _ body: () async throws -> T
    ) async rethrows -> T {
        _ = watchdog
        let id = counter.wrappingAdd(1, ordering: .relaxed).newValue
        entries.withLock { $0[id] = Entry(what: what, location: "\(file):\(line)", started: .now, reported: nil) }
        defer { _ = entries.withLock { $0.removeValue(forKey: id) } }
        return try await body()
    }

    private static func report(now: ContinuousClock.Instant) {
        let (stalled, abort): ([Entry], Bool) = entries.withLock { entries in
            if entries.values.contains(where: { now - $0.started > abortAfter }) {
                return (Array(entries.values), true)
            }
            var due: [Entry] = []
            for (id, entry) in entries where now - entry.started > threshold {
                if let reported = entry.reported, now - reported < threshold { continue }
                entries[id]?.reported = now
                due.append(entry)
            }
            return (due, false)
        }
        guard !stalled.isEmpty else { return }
        var text =
            abort
            ? "StallWatch: a wait lasted longer than \(abortAfter); ending the test run. Waits in progress:\n"
            : "StallWatch: \(stalled.count) wait(s) longer than \(threshold):\n"
        for entry in stalled.sorted(by: { $0.started < $1.started }) {
            text += "  \(entry.what) (\(entry.location)) for \(now - entry.started)\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
        if abort { exit(1) }
    }
}
