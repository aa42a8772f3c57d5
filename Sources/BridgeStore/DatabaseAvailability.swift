public import Logging
import Synchronization

/// A database call was not made because the database is known to be away.
public struct DatabaseAway: Error, CustomStringConvertible {
    public var description: String { "the database is away (a trial call is waiting for it); not tried" }

    public init() {}
}

/// Database calls with a deadline that do not wait while the database is known to be away.
///
/// Each call runs under ``withDatabaseDeadline(_:grace:_:)``. A call that finds the database
/// unavailable (``isDatabaseUnavailable(_:)``: no answer within the deadline, a connection that
/// broke, the pool giving up) marks it away. While it is away one call at a time goes through as a
/// trial, bounded by the deadline like any other, and the calls made meanwhile throw
/// ``DatabaseAway`` at once instead of queueing for a connection that does not come. The first
/// call that gets an answer — a result, or an error of the database's own — marks it back.
///
/// For callers whose own caller has a timer shorter than the deadline times the calls queued
/// behind each other: the inbound processor, whose SMSC resends (or drops the session) when a
/// `deliver_sm` is not answered in time.
public final class DatabaseAvailability: Sendable {
    /// The deadline of each call.
    public let timeout: Duration
    private let circuit = Mutex(Circuit())
    private let logger: Logger

    public init(timeout: Duration, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    /// Whether the last call that ended found the database unavailable.
    public var isAway: Bool { self.circuit.withLock(\.isAway) }

    /// Runs `operation` with the deadline, or throws ``DatabaseAway`` at once while the database
    /// is away and another call is its trial.
    public func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let admission = self.circuit.withLock { $0.callRequested() }
        guard admission != .refused else { throw DatabaseAway() }
        let result: Result<T, any Error>
        do {
            result = .success(try await withDatabaseDeadline(self.timeout, operation))
        } catch {
            result = .failure(error)
        }
        let finding: Circuit.Finding
        var failure = ""
        switch result {
        case .success:
            finding = .answered
        case .failure(let error):
            failure = String(reflecting: error)
            finding = error is CancellationError ? .nothing : isDatabaseUnavailable(error) ? .unavailable : .answered
        }
        switch self.circuit.withLock({ $0.callEnded(admission, finding) }) {
        case .wentAway:
            self.logger.warning(
                "database unavailable; calls fail at once while a trial call waits for it",
                metadata: ["error": "\(failure)", "database.timeout": "\(self.timeout)"]
            )
        case .cameBack:
            self.logger.notice("database answers again")
        case nil:
            break
        }
        return try result.get()
    }
}

extension DatabaseAvailability {
    /// What the calls have found, with no I/O: whether the database is away and whether a trial runs.
    struct Circuit {
        enum Admission: Equatable {
            /// The database is not known to be away.
            case call
            /// The database is away and no other call tries it: this one does.
            case trial
            /// The database is away and a trial is under way.
            case refused
        }

        enum Finding {
            /// The database answered, with a result or an error of its own.
            case answered
            /// The call found the database unavailable.
            case unavailable
            /// The call was canceled: nothing learnt.
            case nothing
        }

        enum Change: Equatable {
            case wentAway, cameBack
        }

        private(set) var isAway = false
        private var trialRunning = false

        /// A call is about to be made. Possible results: `call` while not away; while away, `trial`
        /// when no trial runs (it runs from now on), else `refused`.
        mutating func callRequested() -> Admission {
            guard self.isAway else { return .call }
            guard !self.trialRunning else { return .refused }
            self.trialRunning = true
            return .trial
        }

        /// A call admitted as `admission` ended with `finding`; returns the change it made, if any.
        mutating func callEnded(_ admission: Admission, _ finding: Finding) -> Change? {
            precondition(admission != .refused, "a refused call was not made")
            if admission == .trial { self.trialRunning = false }
            switch (finding, self.isAway) {
            case (.answered, true):
                self.isAway = false
                return .cameBack
            case (.unavailable, false):
                self.isAway = true
                return .wentAway
            default:
                return nil
            }
        }
    }
}
