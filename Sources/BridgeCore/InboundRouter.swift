/// Chooses the account an inbound (mobile-originated) message belongs to, by the number or short
/// code it was sent to: an exact match, else the longest matching prefix, else the default.
///
/// A leading `+` counts for nothing, in the routes as in the destination: SMSCs send an
/// international number with or without it, and operators write it either way.
public struct InboundRouter<Account: Sendable & Hashable>: Sendable, Hashable {
    /// Destinations (numbers or short codes, without `+`) and their account.
    public var routes: [String: Account]
    /// Destination prefixes (without `+`, e.g. `4477`) and their account.
    public var prefixes: [String: Account]
    /// Where everything else goes; `nil` keeps it unassigned.
    public var defaultAccount: Account?

    /// A `+` at the start of a route or prefix is dropped; when a key is given both with and
    /// without it, the one written without wins.
    public init(routes: [String: Account] = [:], prefixes: [String: Account] = [:], defaultAccount: Account? = nil) {
        self.routes = Self.withoutPlus(routes)
        self.prefixes = Self.withoutPlus(prefixes)
        self.defaultAccount = defaultAccount
    }

    public func account(for destination: String) -> Account? {
        let number = Self.withoutPlus(destination)
        if let account = self.routes[number] { return account }
        var best: (prefix: String, account: Account)?
        for (prefix, account) in self.prefixes where number.hasPrefix(prefix) {
            if best == nil || prefix.count > best!.prefix.count { best = (prefix, account) }
        }
        return best?.account ?? self.defaultAccount
    }

    private static func withoutPlus(_ number: String) -> String {
        number.hasPrefix("+") ? String(number.dropFirst()) : number
    }

    private static func withoutPlus(_ routes: [String: Account]) -> [String: Account] {
        var result: [String: Account] = [:]
        for (key, account) in routes where !key.hasPrefix("+") { result[key] = account }
        for (key, account) in routes where key.hasPrefix("+") && result[Self.withoutPlus(key)] == nil {
            result[Self.withoutPlus(key)] = account
        }
        return result
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
