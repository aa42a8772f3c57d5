/// Chooses the connector for a destination: the rule with the longest matching number prefix, or
/// the default.
public struct MessageRouter: Sendable, Hashable {
    public struct Rule: Sendable, Hashable {
        /// Digits the destination starts with (without `+`), e.g. `44` or `4477`.
        public var prefix: String
        public var connector: String

        public init(prefix: String, connector: String) {
            self.prefix = prefix
            self.connector = connector
        }
    }

    public var rules: [Rule]
    public var defaultConnector: String

    public init(defaultConnector: String, rules: [Rule] = []) {
        self.defaultConnector = defaultConnector
        self.rules = rules
    }

    public func connector(for destination: String) -> String {
        let digits = destination.hasPrefix("+") ? String(destination.dropFirst()) : destination
        var best: Rule?
        for rule in self.rules where digits.hasPrefix(rule.prefix) {
            if best == nil || rule.prefix.count > best!.prefix.count { best = rule }
        }
        return best?.connector ?? self.defaultConnector
    }

    /// Every connector a message may be routed to.
    public var connectors: Set<String> { Set(self.rules.map(\.connector) + [self.defaultConnector]) }
}
