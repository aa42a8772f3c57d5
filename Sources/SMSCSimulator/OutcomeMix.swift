public import SMPP

/// The final state a simulated message reaches, with the `err:` code and network error its receipt carries.
public struct Outcome: Sendable, Hashable, CustomStringConvertible {
    public var state: MessageState
    /// The receipt text's `err:` value (three digits).
    public var error: String
    /// The `network_error_code` TLV (GSM MAP error), or `nil` for none.
    public var networkError: NetworkErrorCode?

    public init(state: MessageState, error: String = "000", networkError: NetworkErrorCode? = nil) {
        self.state = state
        self.error = error
        self.networkError = networkError
    }

    /// The outcome a receipt `stat:` word names, with conventional GSM MAP error codes:
    /// DELIVRD 000, UNDELIV 001 (unknown subscriber), EXPIRED 027 (absent subscriber),
    /// REJECTD 013 (call barred), DELETED, ACCEPTD and UNKNOWN 000.
    public init?(stat: some StringProtocol) {
        guard let state = MessageState(receiptStat: stat), state.isFinal || state == .unknown else { return nil }
        switch state {
        case .undeliverable: self.init(state: state, error: "001", networkError: .gsm(1))
        case .expired: self.init(state: state, error: "027", networkError: .gsm(27))
        case .rejected: self.init(state: state, error: "013", networkError: .gsm(13))
        default: self.init(state: state)
        }
    }

    public var description: String { self.state.receiptStat ?? "UNKNOWN" }
}

/// Weighted outcomes, e.g. `DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2`.
public struct OutcomeMix: Sendable, Hashable, CustomStringConvertible {
    public private(set) var entries: [(outcome: Outcome, weight: Int)]

    /// Every message delivered.
    public init() {
        self.entries = [(Outcome(state: .delivered), 1)]
    }

    public init(_ entries: [(outcome: Outcome, weight: Int)]) throws(SimulatorConfigurationError) {
        guard !entries.isEmpty, entries.allSatisfy({ $0.weight >= 0 }), entries.contains(where: { $0.weight > 0 })
        else {
            throw SimulatorConfigurationError(key: "outcomes", problem: "needs at least one positive weight")
        }
        self.entries = entries
    }

    /// Parses `STAT=weight,STAT=weight,…` (stat words as in receipts: DELIVRD, UNDELIV, EXPIRED,
    /// REJECTD, DELETED, ACCEPTD, UNKNOWN).
    public init(parsing text: String) throws(SimulatorConfigurationError) {
        var entries: [(outcome: Outcome, weight: Int)] = []
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            let word = pair[0].trimmingWhitespace()
            guard let outcome = Outcome(stat: word) else {
                throw SimulatorConfigurationError(key: "outcomes", problem: "'\(word)' is not a final receipt state")
            }
            let weight = pair.count == 2 ? Int(pair[1].trimmingWhitespace()) : 1
            guard let weight, weight >= 0 else {
                throw SimulatorConfigurationError(
                    key: "outcomes",
                    problem: "weight of \(word) must be a whole number ≥ 0"
                )
            }
            entries.append((outcome, weight))
        }
        try self.init(entries)
    }

    /// The outcome for a draw in `0..<totalWeight`.
    func outcome(forDraw draw: Int) -> Outcome {
        var remaining = draw
        for entry in self.entries {
            if remaining < entry.weight { return entry.outcome }
            remaining -= entry.weight
        }
        return self.entries[self.entries.count - 1].outcome
    }

    var totalWeight: Int { self.entries.reduce(0) { $0 + $1.weight } }

    public var description: String {
        self.entries.map { "\($0.outcome)=\($0.weight)" }.joined(separator: ",")
    }

    public static func == (lhs: OutcomeMix, rhs: OutcomeMix) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.outcome == $1.outcome && $0.weight == $1.weight }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in self.entries {
            hasher.combine(entry.outcome)
            hasher.combine(entry.weight)
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
