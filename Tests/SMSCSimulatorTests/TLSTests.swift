import NIOCore
import NIOSSL
import SMPP
import SMSCSimulator
import Testing

/// The second, TLS-wrapped listener (certificate and key are fixtures: CN=localhost, valid until 2126).
@Suite(.timeLimit(.minutes(1))) struct TLSTests {
    static let tls = SimulatorConfiguration.testing {
        $0.tls = .init(
            port: 0,
            certificatePath: Fixtures.path("cert.pem"),
            privateKeyPath: Fixtures.path("key.pem")
        )
    }

    /// A client context that trusts only the fixture certificate and verifies the host name.
    static func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(Fixtures.path("cert.pem"))
        configuration.certificateVerification = .fullVerification
        return try NIOSSLContext(configuration: configuration)
    }

    @Test func anESMEBindsSubmitsAndGetsItsReceiptOverTLS() async throws {
        try await withSimulator(Self.tls) { simulator in
            let tlsPort = try #require(simulator.tlsPort)
            #expect(tlsPort != simulator.port)
            try await TestESME.with(port: tlsPort, tls: try Self.clientContext()) { esme in
                #expect(try await esme.bind(.transceiver, systemID: "secure").commandStatus == .ok)
                let id = try #require(try await esme.request(submit("Hello over TLS")).messageID)
                #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == id)
                #expect(simulator.message(id: id)?.text == "Hello over TLS")
            }
            // The plain listener keeps working beside it.
            try await TestESME.with(port: simulator.port!) { esme in
                let response = try await esme.bind(.transceiver)
                #expect(response.commandStatus == .ok)
            }
        }
    }

    @Test func aClientThatDoesNotTrustTheCertificateCannotBind() async throws {
        try await withSimulator(Self.tls) { simulator in
            // Default trust roots: the self-signed fixture is not among them.
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            await #expect(throws: (any Error).self) {
                try await TestESME.with(port: simulator.tlsPort!, tls: context) { esme in
                    _ = try await esme.request(.enquireLink, timeout: .seconds(2))
                }
            }
        }
    }
}
