import Foundation
import NIOCore
import ServiceLifecycle

/// A server that listens on a configured address, as a service: when it cannot bind, the error
/// names the setting to change and the address (`http.port: cannot listen on 127.0.0.1:8080:
/// address already in use`), not only the socket call that failed.
struct Listener<Server: Service>: Service {
    let server: Server
    /// The settings that chose the address, e.g. `http.host` and `http.port`.
    let hostKey: String
    let portKey: String
    let host: String
    let port: Int

    func run() async throws {
        do {
            try await self.server.run()
        } catch let error as IOError where [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) {
            // In use or not allowed (a port below 1024): the port; not an address of this machine: the host.
            let key = error.errnoCode == EADDRNOTAVAIL ? self.hostKey : self.portKey
            let reason = String(cString: strerror(error.errnoCode))
            throw BridgeConfigurationError(
                key: key,
                problem: "cannot listen on \(self.address): \(reason.prefix(1).lowercased() + reason.dropFirst())"
            )
        } catch let error as SocketAddressError.UnknownHost {
            throw BridgeConfigurationError(
                key: self.hostKey,
                problem: "cannot listen on \(self.address): unknown host \(error.host)"
            )
        }
    }

    private var address: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}
