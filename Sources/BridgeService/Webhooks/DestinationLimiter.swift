import BridgeStore
import Foundation

/// Per destination (`host[:port]`): how many posts are in flight; per account and destination: a
/// circuit breaker, and the account's share of the deliveries claimed for the destination.
///
/// A value type with no I/O; the worker keeps it under a lock and passes the time in. After
/// `failureThreshold` consecutive failures of one account's posts to a destination, that account's
/// circuit for it opens: none of its deliveries there are claimed for `cooldown`; then one trial
/// post goes out (half-open); its success closes the circuit, its failure opens it again. Another
/// account posting to the same destination is not held back: shared hosts (relays, API gateways,
/// automation services) serve many customers, and one customer's broken path must not pause the
/// others'. Keyed by account, not by URL: a message's own `callback_url` may differ per message
/// (a query string), and a breaker per URL would never see two failures in a row.
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

    struct Circuit {
        /// Claimed and not finished: posting, or waiting for a post slot.
        var inFlight = 0
        var consecutiveFailures = 0
        var openUntil: Date?
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

    /// How many of a destination's deliveries one account may hold before a claim leaves its due
    /// ones out: half of `maximumPerDestination`. Its rows then no longer fill the claim's scan of
    /// the earliest due rows, so another account's rows on the same destination are seen — behind
    /// a large backlog of one account, they never were.
    var accountShare: Int { max(1, self.maximumPerDestination / 2) }

    /// Until when the circuit of `key` is open (refusing) at `now`; `nil` when it is not.
    func openUntil(_ key: Key, now: Date) -> Date? {
        guard let until = self.circuits[key]?.openUntil, until > now else { return nil }
        return until
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
    /// what it holds, and its room — 0 while its circuit is open or its trial is out, or while it
    /// holds its ``accountShare``; 1 for a trial; otherwise unlimited.
    func accountRooms(now: Date) -> [AccountRoom] {
        self.circuits.compactMap { key, circuit in
            var room: Int?
            if let until = circuit.openUntil {
                room = until > now ? 0 : max(0, 1 - circuit.inFlight)
            }
            if circuit.inFlight >= self.accountShare { room = 0 }
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
        if circuit.inFlight == 0 && circuit.consecutiveFailures == 0 {
            self.circuits[key] = nil
        } else {
            self.circuits[key] = circuit
        }
        return opened
    }
}
