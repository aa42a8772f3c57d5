/// Chooses the account an inbound (mobile-originated) message belongs to, by the number or short
/// code it was sent to: an exact match, else the longest matching prefix, else the default.
public struct InboundRouter<Account: Sendable & Hashable>: Sendable, Hashable {
    /// Destinations (numbers or short codes, without `+`) and their account.
    public var routes: [String: Account]
    /// Prefixes ending in `*` (`4477*`) and their account.
    public var prefixes: [String: Account]
    /// Where everything else goes; `nil` keeps it unassigned.
    public var defaultAccount: Account?

    public init(routes: [String: Account] = [:], prefixes: [String: Account] = [:], defaultAccount: Account? = nil) {
        self.routes = routes
        self.prefixes = prefixes
        self.defaultAccount = defaultAccount
    }

    public func account(for destination: String) -> Account? {
        let number = destination.hasPrefix("+") ? String(destination.dropFirst()) : destination
        if let account = self.routes[number] { return account }
        var best: (prefix: String, account: Account)?
        for (prefix, account) in self.prefixes where number.hasPrefix(prefix) {
            if best == nil || prefix.count > best!.prefix.count { best = (prefix, account) }
        }
        return best?.account ?? self.defaultAccount
    }

    /// The same routes with each account mapped (e.g. names to ids); `nil` drops a route.
    public func map<Other: Sendable & Hashable>(_ transform: (Account) -> Other?) -> InboundRouter<Other> {
        InboundRouter<Other>(
            routes: self.routes.compactMapValues(transform),
            prefixes: self.prefixes.compactMapValues(transform),
            defaultAccount: self.defaultAccount.flatMap(transform)
        )
    }
}
