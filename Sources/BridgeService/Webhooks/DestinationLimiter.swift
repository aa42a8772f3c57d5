import BridgeStore
import Foundation

/// Per destination (`host[:port]`): how many posts are in flight; per account and destination: a
/// circuit breaker, a hold after the destination asked to slow down, and the account's share of the
/// deliveries claimed for the destination.
///
/// A value type with no I/O; the worker keeps it under a lock and passes the time in. After
/// `failureThreshold` consecutive failures of one account's posts to a destination, that account's
/// circuit for it opens: none of its deliveries there are claimed for `cooldown`; then one trial
/// post goes out (half-open); its success closes the circuit, its failure opens it again. Another
/// account posting to the same destination is not held back: shared hosts (relays, API gateways,
/// automation services) serve many customers, and one customer's broken path must not pause the
/// others'. Keyed by account, not by URL: a message's own `callback_url` may differ per message
/// (a query string), and a breaker per URL would never see two failures in a row.
///
/// A `429 Too Many Requests` (or a `503` with `Retry-After`) holds the account's deliveries to the
/// destination back until the time the worker computed from it (``slowDown(_:until:now:delayAfter:)``):
/// the receiver asked for fewer requests, and the account's other events would each be posted to
/// get the same answer. Other accounts' deliveries there go on.
struct DestinationLimiter {
    /// One account's deliveries to one destination: what a circuit breaker covers.
    struct Key: Hashable {
        var accountID: UUID
        var destination: String
    }

    /// How a post counts for its circuit.
    enum Outcome {
        case succeeded
        case failed
        /// Says nothing about the destination's health (not posted, or `410 Gone`: an answer, at once).
        case neutral
    }

    /// Why an account's deliveries to a destination wait.
    enum Hold: Equatable {
        /// Its circuit is open, until then.
        case circuitOpen(until: Date)
        /// The destination asked it to slow down, until then.
        case slowDown(until: Date)

        var until: Date {
            switch self {
            case .circuitOpen(let until), .slowDown(let until): until
            }
        }
    }

    struct Circuit {
        /// Claimed and not finished: posting, or waiting for a post slot.
        var inFlight = 0
        var consecutiveFailures = 0
        var openUntil: Date?
        /// `429`s (and `503`s with `Retry-After`) in a row, since its last success.
        var consecutiveSlowDowns = 0
        var slowDownUntil: Date?
    }

    var maximumPerDestination: Int
    var failureThreshold: Int
    var cooldown: TimeInterval
    private(set) var inFlight: [String: Int] = [:]
    private(set) var circuits: [Key: Circuit] = [:]

    init(maximumPerDestination: Int, failureThreshold: Int, cooldown: TimeInterval) {
        self.maximumPerDestination = maximumPerDestination
        self.failureThreshold = failureThreshold
        self.cooldown = cooldown
    }

    /// How many of a destination's deliveries one account holds when it crowds the destination:
    /// half of `maximumPerDestination`. Its backlog may then fill the claim's scan of the earliest
    /// due rows, and hide other accounts' rows on the destination from it.
    var accountShare: Int { max(1, self.maximumPerDestination / 2) }

    /// The destinations that an account crowds (holds its ``accountShare`` of), whose other accounts
    /// the claim looks up one by one.
    func crowdedDestinations() -> [String] {
        Set(self.circuits.filter { $0.value.inFlight >= self.accountShare }.map(\.key.destination)).sorted()
    }

    /// Until when the circuit of `key` is open (refusing) at `now`; `nil` when it is not.
    func openUntil(_ key: Key, now: Date) -> Date? {
        guard let until = self.circuits[key]?.openUntil, until > now else { return nil }
        return until
    }

    /// Whether, why and until when the deliveries of `key` wait at `now`: the later of an open
    /// circuit and a slow-down; `nil` when they may be posted.
    func hold(_ key: Key, now: Date) -> Hold? {
        let open = self.openUntil(key, now: now).map(Hold.circuitOpen)
        let slow = self.circuits[key]?.slowDownUntil.flatMap { $0 > now ? Hold.slowDown(until: $0) : nil }
        switch (open, slow) {
        case (let open?, let slow?): return slow.until > open.until ? slow : open
        case (let open?, nil): return open
        case (nil, let slow): return slow
        }
    }

    /// Circuits that are open or half-open (not closed).
    var pausedCount: Int {
        self.circuits.values.count { $0.openUntil != nil }
    }

    /// The room of every destination that differs from the default (`maximumPerDestination`).
    func rooms() -> [DestinationRoom] {
        self.inFlight.compactMap { name, inFlight in
            let room = max(0, self.maximumPerDestination - inFlight)
            return room == self.maximumPerDestination ? nil : DestinationRoom(destination: name, room: room)
        }
    }

    /// Every account and destination this instance holds deliveries of, or whose deliveries wait:
    /// what it holds, and its room — 0 while its circuit is open or its trial is out, or while it is
    /// slowed down; 1 for a trial; otherwise unlimited.
    func accountRooms(now: Date) -> [AccountRoom] {
        self.circuits.compactMap { key, circuit in
            var room: Int?
            if let until = circuit.openUntil {
                room = until > now ? 0 : max(0, 1 - circuit.inFlight)
            }
            if let until = circuit.slowDownUntil, until > now { room = 0 }
            guard room != nil || circuit.inFlight > 0 else { return nil }
            return AccountRoom(
                accountID: key.accountID,
                destination: key.destination,
                room: room,
                held: circuit.inFlight
            )
        }
    }

    mutating func started(_ key: Key) {
        self.inFlight[key.destination, default: 0] += 1
        self.circuits[key, default: Circuit()].inFlight += 1
    }

    /// Records how a post ended. Returns the end of the pause when this opened the circuit (or
    /// opened it again after a failed trial).
    @discardableResult
    mutating func finished(_ key: Key, _ outcome: Outcome, now: Date) -> Date? {
        let remaining = (self.inFlight[key.destination] ?? 1) - 1
        self.inFlight[key.destination] = remaining > 0 ? remaining : nil
        var circuit = self.circuits[key, default: Circuit()]
        circuit.inFlight = max(0, circuit.inFlight - 1)
        var opened: Date?
        switch outcome {
        case .succeeded:
            circuit.consecutiveFailures = 0
            circuit.openUntil = nil
            circuit.consecutiveSlowDowns = 0
        case .failed:
            circuit.consecutiveFailures += 1
            let halfOpen = circuit.openUntil.map { $0 <= now } ?? false
            if halfOpen || circuit.consecutiveFailures >= self.failureThreshold {
                let until = now.addingTimeInterval(self.cooldown)
                if circuit.openUntil == nil || halfOpen { opened = until }
                circuit.openUntil = until
            }
        case .neutral:
            break
        }
        self.store(circuit, for: key, now: now)
        return opened
    }

    /// Records that the destination asked `key`'s account to slow down (a `429`, or a `503` with
    /// `Retry-After`, after ``finished(_:_:now:)`` recorded the post): its deliveries there wait
    /// until `until` (the answer's `Retry-After`, bounded by the caller), or, when the answer named
    /// no time, for `delayAfter(n)` after the n-th such answer in a row. A hold already running
    /// longer is kept. Returns the end of the hold.
    @discardableResult
    mutating func slowDown(
        _ key: Key,
        until: Date?,
        now: Date,
        delayAfter: (_ slowDowns: Int) -> TimeInterval
    ) -> Date {
        var circuit = self.circuits[key, default: Circuit()]
        circuit.consecutiveSlowDowns += 1
        let end = until ?? now.addingTimeInterval(delayAfter(circuit.consecutiveSlowDowns))
        circuit.slowDownUntil = max(end, circuit.slowDownUntil ?? end)
        self.store(circuit, for: key, now: now)
        return circuit.slowDownUntil ?? end
    }

    /// Keeps a circuit while it says anything: deliveries held, failures or slow-downs counted, a
    /// hold running.
    private mutating func store(_ circuit: Circuit, for key: Key, now: Date) {
        let holding = circuit.slowDownUntil.map { $0 > now } ?? false
        if circuit.inFlight == 0 && circuit.consecutiveFailures == 0 && circuit.consecutiveSlowDowns == 0
            && !holding
        {
            self.circuits[key] = nil
        } else {
            self.circuits[key] = circuit
        }
    }
}
