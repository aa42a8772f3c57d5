import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// Who may bind (the users file) and the provider conventions of SMPP.md §14: one session per
/// login, refusal of duplicates, the flood guard.
@Suite(.timeLimit(.minutes(1))) struct ConventionsTests {
    static let users = SimulatorConfiguration.testing {
        $0.users = [
            .init(systemID: "shop", password: "secret"),
            .init(systemID: "sender", password: "pw", bindTypes: [.transmitter]),
            .init(systemID: "single", password: "pw", maxSessions: 1),
        ]
    }

    @Test func aKnownLoginWithItsPasswordBinds() async throws {
        try await withSimulator(Self.users) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let response = try await esme.bind(.transceiver, systemID: "shop", password: "secret")
                #expect(response.commandStatus == .ok)
            }
        }
    }

    @Test func aWrongPasswordIsRefused() async throws {
        try await withSimulator(Self.users) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let response = try await esme.bind(.transceiver, systemID: "shop", password: "guess")
                #expect(response.commandStatus == .invalidPassword)
                #expect(response.pdu.bindResponse?.type == .transceiver)
                // Still OPEN: a submit is refused for the bind state, a correct bind succeeds.
                #expect(try await esme.request(submit("Hello")).commandStatus == .invalidBindStatus)
                #expect(try await esme.bind(.transceiver, systemID: "shop", password: "secret").commandStatus == .ok)
                #expect(simulator.counters.bindFailures == 1)
            }
        }
    }

    @Test func anUnknownLoginIsRefused() async throws {
        try await withSimulator(Self.users) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let response = try await esme.bind(.receiver, systemID: "nobody", password: "x")
                #expect(response.commandStatus == .invalidSystemID)
            }
        }
    }

    @Test func aBindTypeTheLoginMayNotUseIsRefused() async throws {
        try await withSimulator(Self.users) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                let receiver = try await esme.bind(.receiver, systemID: "sender", password: "pw")
                #expect(receiver.commandStatus == .bindFailed)
                let transmitter = try await esme.bind(.transmitter, systemID: "sender", password: "pw")
                #expect(transmitter.commandStatus == .ok)
            }
        }
    }

    @Test func theSessionLimitOfALoginIsEnforced() async throws {
        try await withSimulator(Self.users) { simulator in
            let port = simulator.port!
            try await TestESME.with(port: port) { first in
                #expect(try await first.bind(.transceiver, systemID: "single", password: "pw").commandStatus == .ok)
                try await TestESME.with(port: port) { second in
                    let refused = try await second.bind(.transceiver, systemID: "single", password: "pw")
                    #expect(refused.commandStatus == .bindFailed)
                }
                _ = try await first.request(.unbind)
            }
            try await TestESME.with(port: port) { third in
                let response = try await third.bind(.transceiver, systemID: "single", password: "pw")
                #expect(response.commandStatus == .ok)
            }
        }
    }

    @Test func aNewBindClosesTheOlderSessionOfTheLogin() async throws {
        try await withSimulator(.testing { $0.conventions.singleSessionPerLogin = true }) { simulator in
            let port = simulator.port!
            try await TestESME.with(port: port) { old in
                try await old.bind(.transceiver, systemID: "shop")
                try await TestESME.with(port: port) { other in
                    try await other.bind(.transceiver, systemID: "other")
                    try await TestESME.with(port: port) { new in
                        try await new.bind(.transceiver, systemID: "shop")
                        try await old.closed()
                        #expect(other.isActive)
                        let id = try #require(try await new.request(submit("Hello")).messageID)
                        #expect(try await new.deliverSM().message.deliveryReceipt?.messageID == id)
                        try await eventually("two sessions left") { await simulator.sessions().count == 2 }
                    }
                }
            }
        }
    }

    @Test func anIdenticalSubmitWithinTheWindowIsRefused() async throws {
        let configuration = SimulatorConfiguration.testing { $0.conventions.duplicateWindow = 60 }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                #expect(try await esme.request(submit("Hello")).commandStatus == .ok)
                #expect(try await esme.request(submit("Hello")).commandStatus == .submitFailed)
                #expect(try await esme.request(submit("Hello", to: "447700900999")).commandStatus == .ok)
                #expect(try await esme.request(submit("Hello again")).commandStatus == .ok)
                // Outside the window the same submit is accepted again.
                simulator.reconfigure { $0.conventions.duplicateWindow = 0.05 }
                try await Task.sleep(for: .milliseconds(100))
                #expect(try await esme.request(submit("Hello")).commandStatus == .ok)
                #expect(simulator.counters.duplicatesRefused == 1)
                #expect(simulator.counters.submitsRefused["ESME_RSUBMITFAIL"] == 1)
            }
        }
    }

    @Test func aRetryAfterAnInjectedErrorIsNotADuplicate() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.conventions.duplicateWindow = 60
            $0.faults.errorRate = 1
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                #expect(try await esme.request(submit("Hello")).commandStatus == .systemError)
                simulator.reconfigure { $0.faults.errorRate = 0 }
                #expect(try await esme.request(submit("Hello")).commandStatus == .ok)
                // Once accepted, it counts.
                #expect(try await esme.request(submit("Hello")).commandStatus == .submitFailed)
                #expect(simulator.counters.duplicatesRefused == 1)
            }
        }
    }

    @Test func aRetryAfterAFloodGuardRefusalIsNotADuplicate() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.conventions.duplicateWindow = 60
            // Two submits in a row are under 3 s apart even on a busy machine.
            $0.conventions.floodGuard = .init(limit: 1, interval: 3)
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                #expect(try await esme.request(submit("first")).commandStatus == .ok)
                #expect(try await esme.request(submit("second")).commandStatus == .messageQueueFull)
                try await Task.sleep(for: .milliseconds(3_100))
                #expect(try await esme.request(submit("second")).commandStatus == .ok)
                #expect(try await esme.request(submit("second")).commandStatus == .submitFailed)
                #expect(simulator.counters.floodBlocked == 1)
                #expect(simulator.counters.duplicatesRefused == 1)
            }
        }
    }

    @Test func aRetryAfterASubmitLeftUnansweredIsNotADuplicate() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.conventions.duplicateWindow = 60
            $0.faults.noResponseRate = 1
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                try await esme.sendUnanswered(["Hello"], to: simulator)
                #expect(try await esme.request(submit("Hello")).commandStatus == .ok)
                #expect(simulator.counters.duplicatesRefused == 0)
            }
        }
    }

    @Test func twoLoginsSendingTheSameTextAreNotDuplicatesOfEachOther() async throws {
        let configuration = SimulatorConfiguration.testing { $0.conventions.duplicateWindow = 60 }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { shop in
                try await shop.bind(.transmitter, systemID: "shop")
                try await TestESME.with(port: simulator.port!) { other in
                    try await other.bind(.transmitter, systemID: "other")
                    #expect(try await shop.request(submit("Hello")).commandStatus == .ok)
                    #expect(try await other.request(submit("Hello")).commandStatus == .ok)
                    #expect(try await shop.request(submit("Hello")).commandStatus == .submitFailed)
                    #expect(try await other.request(submit("Hello")).commandStatus == .submitFailed)
                }
                // A second session of the same login shares its window.
                try await TestESME.with(port: simulator.port!) { again in
                    try await again.bind(.transmitter, systemID: "shop")
                    #expect(try await again.request(submit("Hello")).commandStatus == .submitFailed)
                }
                #expect(simulator.counters.duplicatesRefused == 3)
            }
        }
    }

    @Test func theFloodGuardBlocksADestinationAfterTheLimit() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.conventions.floodGuard = .init(limit: 3, interval: 5)
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                for index in 1...3 {
                    #expect(try await esme.request(submit("n\(index)")).commandStatus == .ok)
                }
                #expect(try await esme.request(submit("n4")).commandStatus == .messageQueueFull)
                #expect(try await esme.request(submit("n5", to: "447700900999")).commandStatus == .ok)
                #expect(simulator.counters.floodBlocked == 1)
            }
        }
    }

    @Test func theFloodGuardForgetsADestinationAfterAPause() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.conventions.floodGuard = .init(limit: 2, interval: 0.2)
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transmitter)
                #expect(try await esme.request(submit("n1")).commandStatus == .ok)
                #expect(try await esme.request(submit("n2")).commandStatus == .ok)
                try await Task.sleep(for: .milliseconds(250))
                #expect(try await esme.request(submit("n3")).commandStatus == .ok)
            }
        }
    }
}
