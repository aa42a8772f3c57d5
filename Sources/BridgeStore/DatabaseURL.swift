import Foundation
import NIOSSL
public import PostgresNIO

/// A PostgreSQL connection URL, as libpq and most tools write it:
///
///     postgres://user:password@host:5432/database?sslmode=require
///     postgresql:///database?host=/var/run/postgresql&user=smsbridge      (a Unix socket)
///
/// `sslmode` is `disable`, `prefer` (the default), `require` (encrypted, certificate not checked,
/// as libpq does) or `verify-full` (encrypted, certificate and host name checked). Percent-escapes
/// in the user and password are decoded.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String?
    public var socketPath: String?
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String?
    public var tlsMode: TLSMode

    /// Parses `text`; the error says what is wrong (never the password).
    public init(_ text: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw DatabaseURLError(problem: "is not a URL (postgres://user:password@host:5432/database)")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError(problem: "scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        self.user = components.user.flatMap { $0.removingPercentEncoding } ?? query["user"] ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding } ?? query["password"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? query["dbname"] : path.removingPercentEncoding
        self.port = components.port ?? query["port"].flatMap(Int.init) ?? 5432
        guard (1...65535).contains(self.port) else { throw DatabaseURLError(problem: "port must be 1…65535") }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? query["host"]
        if let host, host.hasPrefix("/") {
            // libpq reads a host that is a path as the directory of the server's socket.
            self.socketPath = host.hasSuffix(".s.PGSQL.\(self.port)") ? host : "\(host)/.s.PGSQL.\(self.port)"
            self.host = nil
        } else {
            guard let host else { throw DatabaseURLError(problem: "needs a host (or ?host=/socket/directory)") }
            // An IPv6 address is written in brackets (postgres://[::1]:5432/…); the host is the address.
            self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            self.socketPath = nil
        }
        let mode = query["sslmode"] ?? "prefer"
        guard let tlsMode = TLSMode(rawValue: mode) else {
            throw DatabaseURLError(
                problem: "sslmode \(mode) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self.tlsMode = tlsMode
    }

    /// TLS as `sslmode` asks for it: none (`disable`), or its settings and whether the connection
    /// must have it (`require` and `verify-full` check nothing and everything of the certificate).
    var tls: (configuration: TLSConfiguration, required: Bool)? {
        switch self.tlsMode {
        case .disable:
            return nil
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return (configuration, self.tlsMode == .require)
        case .verifyFull:
            return (.makeClientConfiguration(), true)
        }
    }

    /// The URL with the password hidden, for logs.
    public var description: String {
        let credentials = self.password == nil ? self.user : "\(self.user):•••"
        let location =
            self.host.map { $0.contains(":") ? "[\($0)]:\(self.port)" : "\($0):\(self.port)" }
            ?? "[\(self.socketPath ?? "")]"
        return "postgres://\(credentials)@\(location)/\(self.database ?? "")?sslmode=\(self.tlsMode.rawValue)"
    }

    /// A client configuration for this URL, with the session settings of
    /// ``PostgresStore/sessionParameters``.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = self.connectionConfiguration
        configuration.options.additionalStartupParameters = PostgresStore.sessionParameters
        return configuration
    }

    private var connectionConfiguration: PostgresClient.Configuration {
        if let socketPath {
            return PostgresClient.Configuration(
                unixSocketPath: socketPath,
                username: self.user,
                password: self.password,
                database: self.database
            )
        }
        let tls: PostgresClient.Configuration.TLS =
            self.tls.map { $0.required ? .require($0.configuration) : .prefer($0.configuration) } ?? .disable
        return PostgresClient.Configuration(
            host: self.host ?? "localhost",
            port: self.port,
            username: self.user,
            password: self.password,
            database: self.database,
            tls: tls
        )
    }
}

public struct DatabaseURLError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problem: String
    public var description: String { "database URL \(self.problem)" }
}
