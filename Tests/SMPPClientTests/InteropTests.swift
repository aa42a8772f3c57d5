import Foundation
import NIOCore
import SMPP
import SMPPClient
import Testing

/// Our connector against an SMPP server none of us wrote: smppy (PyPI), an asyncio SMSC built on
/// the independent `smpppdu` PDU library. `scripts/test` installs it.
@Suite(.timeLimit(.minutes(1))) struct InteropTests {
    @Test func connectorBindsSubmitsAndReceivesMOFromSmppy() async throws {
        let port = try await freePort()
        let server = try PythonPeer(script: "smppy_echo_server.py", arguments: ["\(port)"])
        var output = ""
        do {
            try await server.waitUntilListening(port: port)
            // smppy reads one PDU per TCP read, so keep one request in flight.
            let configuration = ConnectorConfiguration.forTests(port: port) {
                $0.window = 1
                $0.enquireLinkInterval = nil
                $0.registeredDelivery = .none
                // A Python peer on a machine busy with the rest of the suite can be slow to answer.
                $0.unbindTimeout = .seconds(20)
                $0.responseTimeout = .seconds(20)
            }
            try await withConnector(configuration) { connector in
                let collector = EventCollector(connector)
                let results = try await connector.send(.text("Hello interop", from: "Shop", to: "447700900123"))
                #expect(results.count == 1)
                try await eventually("the echoed MO") { collector.messages.count == 1 }
                let echo = collector.messages[0]
                #expect(echo.text == "You have sent Hello interop to me...")
                #expect(echo.message?.source.value == "447700900123")
                #expect(echo.message?.destination.value == "Shop")
                // smppy parses one PDU per TCP read: an unbind sharing a read with our
                // acknowledgement would be lost, so let the acknowledgement arrive first.
                await server.waitForOutput(containing: "DELIVER_SM_RESP")
            }
            await server.waitForOutput(containing: "UNBOUND")
            output = await server.stop()
        } catch {
            output = await server.stop()
            Issue.record("smppy said:\n\(output)")
            throw error
        }
        #expect(output.contains("BOUND esme"))
        #expect(output.contains("SMS Shop -> 447700900123: Hello interop"))
        #expect(output.contains("DELIVER_SM_RESP"), "we acknowledged the MO")
        #expect(output.contains("UNBOUND"), "our graceful shutdown unbound the session")
    }
}
