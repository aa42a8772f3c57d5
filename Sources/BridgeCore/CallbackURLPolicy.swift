import Foundation

/// Which webhook URLs are acceptable: http or https, a host, no credentials in the URL, and — unless
/// allowed — no private, loopback or link-local addresses (a guard against requests into the
/// gateway's own network).
public struct CallbackURLPolicy: Sendable, Hashable {
    /// Default false: private, loopback and link-local addresses are refused. Tests and the demo
    /// turn it on explicitly.
    public var allowsPrivateAddresses: Bool = false
    /// Default 2048 characters.
    public var maximumLength: Int = 2048

    public init(allowsPrivateAddresses: Bool = false) {
        self.allowsPrivateAddresses = allowsPrivateAddresses
    }

    /// Checks a URL; the error's field is `field`.
    public func check(_ text: String, field: String) -> FieldError? {
        func invalid(_ detail: String) -> FieldError { FieldError(field: field, code: "invalid_url", detail: detail) }
        guard text.count <= self.maximumLength else { return invalid("longer than \(self.maximumLength) characters") }
        // A URL has neither (RFC 3986); Foundation's parser would let them through.
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            return invalid("contains a control character or a space")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return invalid("is not a URL")
        }
        guard scheme == "https" || scheme == "http" else { return invalid("must be http or https, not \(scheme)") }
        guard let host = components.host, !host.isEmpty else { return invalid("has no host") }
        guard components.user == nil && components.password == nil else {
            return invalid("must not carry credentials; webhooks are signed instead")
        }
        if !self.allowsPrivateAddresses, Self.isPrivate(host: host) {
            return invalid("points to a private, loopback or link-local address")
        }
        return nil
    }

    /// Whether a host names a private, loopback or link-local address (literals and `localhost`).
    /// Names that resolve to such addresses are refused again when the webhook is sent.
    public static func isPrivate(host: String) -> Bool {
        let lower = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if lower == "localhost" || lower.hasSuffix(".localhost") { return true }
        let octets = lower.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4, lower.split(separator: ".").count == 4 {
            switch (octets[0], octets[1]) {
            case (10, _), (127, _), (0, _): return true
            case (172, 16...31), (192, 168), (169, 254), (100, 64...127): return true
            default: return false
            }
        }
        if lower.contains(":") {
            // IPv4-mapped addresses are judged by their IPv4 address.
            if lower.hasPrefix("::ffff:"), lower.dropFirst(7).contains(".") {
                return self.isPrivate(host: String(lower.dropFirst(7)))
            }
            return lower == "::1" || lower == "::" || lower.hasPrefix("fe80:") || lower.hasPrefix("fc")
                || lower.hasPrefix("fd")
        }
        return false
    }
}
