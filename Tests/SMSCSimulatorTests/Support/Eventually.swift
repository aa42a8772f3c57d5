/// Polls `condition` every 10 ms until it holds, failing after `timeout`: for state that changes
/// without an event the test can wait on (counters, the session list).
func eventually(
    timeout: Duration = .seconds(5),
    _ what: String,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while try await !condition() {
        guard clock.now < deadline else { throw TestESME.Timeout(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Expects that `condition` stays false for `duration`: for things that must not happen.
func never(
    for duration: Duration = .milliseconds(200),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: duration)
    while clock.now < deadline {
        if try await condition() { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}
