import BridgeCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The delivery-time half of the private-address guard: the URL was checked when it was given,
/// but a name can resolve to a private address (or be changed to), so it is resolved again before
/// each post and refused if any of its addresses is private, loopback or link-local.
///
/// AsyncHTTPClient then resolves the name once more to connect; a DNS server that answers
/// differently within that moment (DNS rebinding) is not stopped by this check. Deployments that
/// need that guarantee route webhooks through an egress proxy.
enum DestinationGuard {
    /// The first private address `host` resolves to, or `nil` when none is. A host that does not
    /// resolve is not refused here: the post fails with the client's own error.
    static func privateAddress(of host: String) async throws -> String? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if CallbackURLPolicy.isPrivate(host: bare) { return bare }
        return try await NIOThreadPool.singleton.runIfActive {
            self.resolve(bare).first { CallbackURLPolicy.isPrivate(host: $0) }
        }
    }

    /// Every address of `host` as text (blocking: getaddrinfo).
    private static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if info.pointee.ai_family == AF_INET {
                info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
                }
            } else if info.pointee.ai_family == AF_INET6 {
                info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
                }
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.isEmpty { addresses.append(text) }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}
