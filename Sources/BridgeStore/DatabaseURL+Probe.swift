import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The database cannot be reached, and why.
public struct DatabaseUnreachable: Error, CustomStringConvertible {
    /// The URL, its password hidden.
    public var url: String
    /// Why, in words: `connection refused (127.0.0.1:5432)`, `unknown host db`, the server's own
    /// message (`role "smsbridge" does not exist`), `no answer within 5 s`.
    public var reason: String
    public var description: String { "cannot reach the database \(self.url): \(self.reason)" }
}

extension DatabaseURL {
    /// Connects once and closes, within `timeout`: throws ``DatabaseUnreachable`` naming the cause
    /// (connection refused, unknown host, authentication, missing database) when it cannot.
    ///
    /// One plain connection, not a pool: a pool retries for a minute and then names only its
    /// circuit breaker. Cancellation ends the attempt at once (throwing `CancellationError`); a
    /// connection that still comes is closed.
    public func probe(timeout: Duration = .seconds(10), logger: Logger) async throws {
        let configuration = try self.probeConfiguration(connectTimeout: timeout)
        do {
            try await withDatabaseDeadline(timeout, grace: .milliseconds(100)) {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration,
                    id: 0,
                    logger: logger
                )
                try? await connection.close()
            }
        } catch is DatabaseDeadlineExceeded {
            throw DatabaseUnreachable(url: self.description, reason: "no answer within \(Self.seconds(timeout))")
        } catch let error as CancellationError {
            throw error
        } catch {
            let target = self.socketPath ?? "\(self.host ?? "localhost"):\(self.port)"
            throw DatabaseUnreachable(url: self.description, reason: Self.reason(error, at: target))
        }
    }

    /// Probes until a connection succeeds: at most `attempts` times, `interval` after each
    /// failure, each attempt given `timeout`. Every failed attempt is logged as a warning with its
    /// cause; after the last, its ``DatabaseUnreachable`` is thrown. Cancellation ends the wait at
    /// once with `CancellationError`.
    public func waitUntilReachable(
        attempts: Int,
        interval: Duration,
        timeout: Duration,
        logger: Logger
    ) async throws {
        for attempt in 1...max(1, attempts) {
            do {
                try await self.probe(timeout: timeout, logger: logger)
                return
            } catch let error as DatabaseUnreachable {
                let last = attempt >= attempts
                logger.warning(
                    last ? "database not reachable; giving up" : "database not reachable; retrying",
                    metadata: [
                        "database": "\(self)", "error": "\(error.reason)", "attempt": "\(attempt)/\(attempts)",
                    ]
                )
                if last { throw error }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// The one connection of ``probe(timeout:logger:)``: as the pool's, TLS as `sslmode` says.
    private func probeConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketPath {
            configuration = .init(
                unixSocketPath: socketPath,
                username: self.user,
                password: self.password,
                database: self.database
            )
        } else {
            var tls = PostgresConnection.Configuration.TLS.disable
            if let settings = self.tls {
                let context = try NIOSSLContext(configuration: settings.configuration)
                tls = settings.required ? .require(context) : .prefer(context)
            }
            configuration = .init(
                host: self.host ?? "localhost",
                port: self.port,
                username: self.user,
                password: self.password,
                database: self.database,
                tls: tls
            )
        }
        configuration.options.connectTimeout = .nanoseconds(
            connectTimeout.components.seconds * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000
        )
        return configuration
    }

    /// Why a connection failed, in a few words: the server's message, or what the network said and
    /// to which address (`connection refused (127.0.0.1:5432)`), not the error types' dumps.
    /// `target` is the address tried, for errors that do not carry it.
    static func reason(_ error: any Error, at target: String) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return Self.reason(underlying, at: target) }
            switch error.code {
            case .sslUnsupported:
                return "the server does not support TLS (sslmode=require and verify-full need it)"
            case .serverClosedConnection, .uncleanShutdown:
                return "the server closed the connection"
            case .authMechanismRequiresPassword:
                return "the server asks for a password and the URL has none"
            case .unsupportedAuthMechanism:
                return "the server asks for an authentication method PostgresNIO does not support"
            default:
                return "\(error.code)"
            }
        case let error as NIOConnectionError:
            if !error.connectionErrors.isEmpty {
                return error.connectionErrors.map { Self.reason($0.error, at: Self.address($0.target)) }
                    .joined(separator: "; ")
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "unknown host \(error.host)" }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as SocketAddressError.UnknownHost:
            return "unknown host \(error.host)"
        case let error as IOError:
            return "\(Self.lowercasedFirst(String(cString: strerror(error.errnoCode)))) (\(target))"
        case let error as ChannelError:
            if case .connectTimeout(let amount) = error {
                return "no answer within \(Self.seconds(.nanoseconds(amount.nanoseconds)))"
            }
            return "\(error)"
        case let error as NIOSSLError:
            return "TLS: \(error)"
        case let error as BoringSSLError:
            return "TLS: \(error)"
        default:
            return "\(error)"
        }
    }

    /// `127.0.0.1:5432`, `[::1]:5432`, or a socket's path.
    private static func address(_ address: SocketAddress) -> String {
        switch address {
        case .v4:
            return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .v6:
            return "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
        case .unixDomainSocket:
            return address.pathname ?? "a Unix socket"
        }
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }

    /// `5 s`, `0.5 s`.
    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
