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
        if let port = components.port, !Self.ports.contains(port) { return invalid("has port \(port), not 1–65535") }
        if !self.allowsPrivateAddresses, Self.isPrivate(host: host) {
            return invalid("points to a private, loopback or link-local address")
        }
        return nil
    }

    /// The ports a URL may name.
    public static let ports = 1...65_535

    /// Whether a host names an address that is not on the public internet (literals in any form
    /// `inet_aton` and `inet_pton` read — `127.1`, `2130706433`, `0x7f000001`, `[::ffff:7f00:1]` —
    /// and `localhost`): loopback, private, link-local, shared (100.64/10), benchmarking
    /// (198.18/15), IETF (192.0.0/24), "this network" (0/8), multicast, reserved and broadcast
    /// (224/3), documentation (192.0.2/24, 198.51.100/24, 203.0.113/24); for IPv6 also unique-local
    /// (fc00::/7), link-local (fe80::/10), multicast (ff00::/8), documentation (2001:db8::/32), and
    /// IPv4 addresses mapped (::ffff:0:0/96), translated (64:ff9b::/96), compatible (::/96) or
    /// 6to4 (2002::/16) judged as IPv4.
    /// Names that resolve to such addresses are refused again when the webhook is sent.
    public static func isPrivate(host: String) -> Bool {
        var lower = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if lower.hasSuffix(".") { lower.removeLast() }
        if lower == "localhost" || lower.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        if lower.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "x") || Self.isHexDigit($0) }),
            inet_aton(lower, &v4) != 0
        {
            return self.isPrivate(ipv4: UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        guard lower.contains(":"), inet_pton(AF_INET6, lower, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        let embedded = bytes[12...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return self.isPrivate(ipv4: embedded)
        }
        if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return self.isPrivate(ipv4: embedded) }
        // :: and ::1, and the deprecated IPv4-compatible ::a.b.c.d.
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return bytes[12..<15].allSatisfy { $0 == 0 } || self.isPrivate(ipv4: embedded) }
        if bytes[0] == 0x20 && bytes[1] == 0x02 {  // 6to4: the IPv4 address follows 2002:
            return self.isPrivate(ipv4: bytes[2..<6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        if bytes[0..<4] == [0x20, 0x01, 0x0D, 0xB8] { return true }
        return bytes[0] & 0xFE == 0xFC || (bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80) || bytes[0] == 0xFF
    }

    private static func isHexDigit(_ octet: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(octet) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(octet)
    }

    /// Whether an IPv4 address (host byte order) is one of the ranges of ``isPrivate(host:)``.
    static func isPrivate(ipv4 address: UInt32) -> Bool {
        let ranges: [(network: UInt32, prefix: UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
            (0xAC10_0000, 12), (0xC000_0000, 24), (0xC000_0200, 24), (0xC0A8_0000, 16), (0xC612_0000, 15),
            (0xC633_6400, 24), (0xCB00_7100, 24), (0xE000_0000, 3),
        ]
        return ranges.contains { address >> (32 - $0.prefix) == $0.network >> (32 - $0.prefix) }
    }
}
