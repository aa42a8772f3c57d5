import BridgeTestSupport
import Logging
import NIOCore
import SMPP
import SMSCSimulator

extension SimulatorConfiguration {
    /// A configuration for tests: free ports, receipts at once, no control API unless asked, quiet.
    static func testing(_ adjust: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.port = 0
        configuration.control = nil
        configuration.receipts.delay = 0
        configuration.seed = 42
        adjust(&configuration)
        return configuration
    }
}

/// Runs `body` against a started simulator, and stops it afterwards.
///
/// - Parameter logs: where the simulator's log records (info and above) go; default nowhere but warnings.
func withSimulator<T>(
    _ configuration: SimulatorConfiguration = .testing(),
    logs: CapturedLogs? = nil,
    _ body: (SMSCSimulator) async throws -> T
) async throws -> T {
    var logger = Logger(label: "smsc-sim-test")
    logger.logLevel = .warning
    if let logs { logger = logs.logger() }
    let simulator = SMSCSimulator(configuration: configuration, logger: logger)
    try await simulator.start()
    do {
        let result = try await body(simulator)
        await simulator.stop()
        return result
    } catch {
        await simulator.stop()
        throw error
    }
}

extension TestESME {
    /// Sends `texts` as submits that `simulator`, running with `faults.noResponseRate = 1`, leaves
    /// unanswered; waits until it has handled them, then turns that fault off.
    func sendUnanswered(_ texts: [String], to simulator: SMSCSimulator) async throws {
        let before = simulator.counters.faultUnanswered
        for text in texts { try await self.send(submit(text)) }
        try await eventually("\(texts.count) submits left unanswered") {
            simulator.counters.faultUnanswered == before + texts.count
        }
        simulator.reconfigure { $0.faults.noResponseRate = 0 }
    }
}

extension SMPPFrame {
    /// The message id of a submit_sm_resp / data_sm_resp.
    var messageID: String? {
        switch self.pdu {
        case .submitSMResp(let response), .dataSMResp(let response): response.messageID
        case .submitMultiResp(let response): response.messageID
        default: nil
        }
    }
}

func submit(
    _ text: String,
    to destination: String = "447700900123",
    registeredDelivery: RegisteredDelivery = .receipt
) -> PDU {
    .submitSM(
        SubmitSM(
            source: Address(ton: .alphanumeric, npi: .unknown, "Shop"),
            destination: Address(ton: .international, npi: .isdn, destination),
            registeredDelivery: registeredDelivery,
            shortMessage: ByteBuffer(string: text)
        )
    )
}

func submitMulti(
    _ text: String,
    to destinations: [String] = ["447700900001", "447700900002"],
    registeredDelivery: RegisteredDelivery = .none
) -> PDU {
    .submitMulti(
        SubmitMulti(
            source: Address(ton: .alphanumeric, npi: .unknown, "Shop"),
            destinations: destinations.map { .address(Address(ton: .international, npi: .isdn, $0)) },
            registeredDelivery: registeredDelivery,
            shortMessage: ByteBuffer(string: text)
        )
    )
}
