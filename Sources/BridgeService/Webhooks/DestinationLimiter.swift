import BridgeStore
import Foundation

/// Per destination (`host[:port]`): how many posts are in flight, and a circuit breaker.
///
/// A value type with no I/O; the worker keeps it under a lock and passes the time in. After
/// `failureThreshold` consecutive failures the circuit opens: nothing is claimed for the
/// destination for `cooldown`; then one trial post goes out (half-open); its success closes the
/// circuit, its failure opens it again.
struct DestinationLimiter {
    struct Destination {
        var inFlight = 0
        var consecutiveFailures = 0
        var openUntil: Date?
    }

    var maximumPerDestination: Int
    var failureThreshold: Int
    var cooldown: TimeInterval
    private(set) var destinations: [String: Destination] = [:]

    init(maximumPerDestination: Int, failureThreshold: Int, cooldown: TimeInterval) {
        self.maximumPerDestination = maximumPerDestination
        self.failureThreshold = failureThreshold
        self.cooldown = cooldown
    }

    /// Whether the destination's circuit is open (refusing) at `now`.
    func isOpen(_ destination: String, now: Date) -> Bool {
        guard let until = self.destinations[destination]?.openUntil else { return false }
        return until > now
    }

    /// The room of every destination that differs from the default (`maximumPerDestination`).
    func rooms(now: Date) -> [DestinationRoom] {
        self.destinations.compactMap { name, state in
            let room: Int
            if let until = state.openUntil {
                // Open: nothing; cooled down (half-open): one trial at a time.
                room = until > now ? 0 : max(0, 1 - state.inFlight)
            } else {
                room = max(0, self.maximumPerDestination - state.inFlight)
            }
            return room == self.maximumPerDestination ? nil : DestinationRoom(destination: name, room: room)
        }
    }

    mutating func started(_ destination: String) {
        self.destinations[destination, default: Destination()].inFlight += 1
    }

    /// Records how a post ended. Returns true when this opened the circuit.
    @discardableResult
    mutating func finished(_ destination: String, succeeded: Bool, now: Date) -> Bool {
        var state = self.destinations[destination, default: Destination()]
        state.inFlight = max(0, state.inFlight - 1)
        var opened = false
        if succeeded {
            state.consecutiveFailures = 0
            state.openUntil = nil
        } else {
            state.consecutiveFailures += 1
            let halfOpen = state.openUntil.map { $0 <= now } ?? false
            if halfOpen || state.consecutiveFailures >= self.failureThreshold {
                opened = state.openUntil == nil || halfOpen
                state.openUntil = now.addingTimeInterval(self.cooldown)
            }
        }
        if state.inFlight == 0 && state.consecutiveFailures == 0 {
            self.destinations[destination] = nil
        } else {
            self.destinations[destination] = state
        }
        return opened
    }
}
