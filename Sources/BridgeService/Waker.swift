import BridgeStore
import Logging
import PostgresNIO
import Synchronization

/// Wakes one waiting task: `signal()` from anywhere, `wait(timeout:)` in the loop. A signal that
/// comes while nobody waits is remembered, so none is lost (at worst a wait returns early).
final class Waker: Sendable {
    private struct State {
        var signaled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.signaled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one came since the last wait), or after `timeout`.
    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // A cancelled wait returns at once (the timer below does not signal then).
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow: Bool = self.state.withLock { state in
                            if state.signaled {
                                state.signaled = false
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.signal()
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                // Time is up: wake the waiter (unless a signal already did and cancelled us).
                if !Task.isCancelled { self.signal() }
            }
            await group.next()
            group.cancelAll()
            await group.waitForAll()
        }
    }
}

extension Waker {
    /// Signals on every `NOTIFY` of `channel` until cancelled; reconnects when the listening
    /// connection drops.
    func signalOnNotifications(of channel: String, store: PostgresStore, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await store.client.withWatchedConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        for try await _ in notifications {
                            self.signal()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug(
                    "LISTEN connection lost",
                    metadata: ["error": .databaseError(error), "channel": "\(channel)"]
                )
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
