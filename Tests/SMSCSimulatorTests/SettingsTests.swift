import Foundation
import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// The settings file (YAML, keys as the flags), the users file, the outcome mix syntax and MO scripts.
@Suite(.timeLimit(.minutes(1))) struct SettingsTests {
    @Test func aSettingsFileSetsEveryKnob() throws {
        let settings = try SimulatorSettings(
            yaml: """
                host: 0.0.0.0
                port: 2776
                system_id: SMSC01
                dlr_delay: 0
                outcomes: DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2
                intermediate_state: ACCEPTD
                receipt_mode: whole
                receipt_date_digits: 12
                message_id_format: decimal
                receipt_id_format: hex
                receipt_id_width: 16
                control_host: 127.0.0.1
                control_port: 0
                single_session: true
                duplicate_window: 60
                flood_limit: 50
                flood_interval: 30
                max_rate: 30
                window: 10
                resp_delay: 0.01
                fail_rate: 0.1
                fail_status: ESME_RSUBMITFAIL
                no_response_rate: 0.05
                drop_after: 1000
                early_receipt_rate: 0.2
                enquire_link_interval: 60
                session_init_timeout: 20
                delivery_timeout: 5
                delivery_retry_interval: 2
                delivery_attempts: 3
                store_capacity: 500
                seed: 42
                users:
                  - system_id: shop
                    password: secret
                    bind_types: [transceiver, receiver]
                    max_sessions: 2
                """
        )
        var configuration = SimulatorConfiguration()
        try settings.apply(to: &configuration)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 2776)
        #expect(configuration.systemID == "SMSC01")
        #expect(configuration.receipts.delay == 0)
        #expect(configuration.receipts.outcomes.description == "DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2")
        #expect(configuration.receipts.intermediateState == .accepted)
        #expect(configuration.receipts.mode == .whole)
        #expect(configuration.receipts.dateDigits == 12)
        #expect(configuration.messageIDFormat == .decimal)
        #expect(configuration.receiptIDFormat == .hex)
        #expect(configuration.receiptIDWidth == 16)
        #expect(configuration.control == .init(host: "127.0.0.1", port: 0))
        #expect(configuration.conventions.singleSessionPerLogin)
        #expect(configuration.conventions.duplicateWindow == 60)
        #expect(configuration.conventions.floodGuard == .init(limit: 50, interval: 30))
        #expect(configuration.throttling.maxRate == 30)
        #expect(configuration.throttling.window == 10)
        #expect(configuration.throttling.responseDelay == 0.01)
        #expect(configuration.faults.errorRate == 0.1)
        #expect(configuration.faults.errorStatus == .submitFailed)
        #expect(configuration.faults.noResponseRate == 0.05)
        #expect(configuration.faults.dropAfterPDUs == 1000)
        #expect(configuration.faults.earlyReceiptRate == 0.2)
        #expect(configuration.enquireLinkInterval == 60)
        #expect(configuration.sessionInitTimeout == 20)
        #expect(configuration.deliveryResponseTimeout == 5)
        #expect(configuration.deliveryRetryInterval == 2)
        #expect(configuration.deliveryAttempts == 3)
        #expect(configuration.storeCapacity == 500)
        #expect(configuration.seed == 42)
        #expect(
            configuration.users == [
                .init(systemID: "shop", password: "secret", bindTypes: [.transceiver, .receiver], maxSessions: 2)
            ]
        )
    }

    @Test func defaultsImitateAWellBehavedLocalSMSC() {
        let configuration = SimulatorConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 2775)
        #expect(configuration.receipts.delay == 5)
        #expect(configuration.control == .init(host: "127.0.0.1", port: 8775))
        #expect(configuration.users == nil)
    }

    @Test func anUnknownKeyIsNamed() {
        #expect(throws: SimulatorConfigurationError(key: "dlr_dealy", problem: "unknown setting")) {
            try SimulatorSettings(yaml: "dlr_dealy: 0")
        }
    }

    @Test func aValueOfTheWrongTypeNamesItsKey() throws {
        let error = try #require(throws: SimulatorConfigurationError.self) {
            try SimulatorSettings(yaml: "port: twenty")
        }
        #expect(error.key == "port")
        let nested = try #require(throws: SimulatorConfigurationError.self) {
            try SimulatorSettings(yaml: "users:\n  - system_id: shop\n    password: pw\n    max_sessions: many")
        }
        #expect(nested.key.hasPrefix("users"))
        #expect(nested.key.hasSuffix("max_sessions"))
    }

    @Test(arguments: [
        ("fail_rate: 1.5", "fail_rate"),
        ("no_response_rate: -0.1", "no_response_rate"),
        ("dlr_delay: -1", "dlr_delay"),
        ("port: 70000", "port"),
        ("control_port: -2", "control_port"),
        ("window: 0", "window"),
        ("max_rate: 0", "max_rate"),
        ("receipt_date_digits: 8", "receipt_date_digits"),
        ("intermediate_state: DELIVRD", "intermediate_state"),
        ("fail_status: ESME_RNOPE", "fail_status"),
        ("outcomes: DELIVRD=x", "outcomes"),
        ("outcomes: ENROUTE=1", "outcomes"),
        ("system_id: a-name-that-is-too-long", "system_id"),
        ("tls_port: 2776", "tls_port"),
        ("receipt_id_width: 65", "receipt_id_width"),
        ("delivery_timeout: 0", "delivery_timeout"),
        ("flood_limit: 5\nflood_interval: -1", "flood_interval"),
    ])
    func anInvalidValueNamesItsKey(_ yaml: String, _ key: String) throws {
        let error = try #require(throws: SimulatorConfigurationError.self) {
            var configuration = SimulatorConfiguration()
            try SimulatorSettings(yaml: yaml).apply(to: &configuration)
        }
        #expect(error.key == key, "\(error)")
    }

    @Test func aStatusIsANameOrANumber() throws {
        for (text, status) in [
            ("ESME_RSYSERR", CommandStatus.systemError), ("0x45", .submitFailed), ("88", .throttled),
        ] {
            var configuration = SimulatorConfiguration()
            var settings = SimulatorSettings()
            settings.failStatus = text
            try settings.apply(to: &configuration)
            #expect(configuration.faults.errorStatus == status)
        }
    }

    @Test func aTLSListenerNeedsReadableFiles() throws {
        var settings = SimulatorSettings()
        settings.tlsPort = 2776
        settings.tlsCert = Fixtures.path("cert.pem")
        settings.tlsKey = Fixtures.path("no-such-key.pem")
        var configuration = SimulatorConfiguration()
        #expect(throws: SimulatorConfigurationError.self) { try settings.apply(to: &configuration) }
        settings.tlsKey = Fixtures.path("key.pem")
        try settings.apply(to: &configuration)
        #expect(configuration.tls?.port == 2776)
    }

    @Test func flagsOverrideTheFile() throws {
        let file = try SimulatorSettings(yaml: "port: 2776\ndlr_delay: 3\nwindow: 5")
        var flags = SimulatorSettings()
        flags.dlrDelay = 0
        flags.window = nil
        let merged = file.overriding(with: flags)
        #expect(merged.port == 2776)
        #expect(merged.dlrDelay == 0)
        #expect(merged.window == 5)
    }

    @Test func controlPortMinusOneTurnsTheAPIOff() throws {
        var configuration = SimulatorConfiguration()
        try SimulatorSettings(yaml: "control_port: -1").apply(to: &configuration)
        #expect(configuration.control == nil)
    }

    @Test func aUsersFileIsAListOfLogins() throws {
        let users = try SimulatorSettings.users(
            yaml: """
                - system_id: shop
                  password: secret
                  bind_types: [transmitter]
                  max_sessions: 1
                - system_id: open
                  password: pw
                """
        )
        #expect(
            users == [
                .init(systemID: "shop", password: "secret", bindTypes: [.transmitter], maxSessions: 1),
                .init(systemID: "open", password: "pw"),
            ]
        )
    }

    @Test func aBrokenUsersFileNamesTheEntryAndKey() throws {
        let missing = try #require(throws: SimulatorConfigurationError.self) {
            try SimulatorSettings.users(yaml: "- system_id: shop\n- system_id: other\n  password: pw")
        }
        #expect(missing.key == "users[0].password", "\(missing)")
        let badType = try #require(throws: SimulatorConfigurationError.self) {
            try SimulatorSettings.users(yaml: "- system_id: shop\n  password: pw\n  bind_types: [sometimes]")
        }
        #expect(badType.key.hasPrefix("users[0].bind_types"), "\(badType)")
    }

    @Test func theOutcomeMixSyntax() throws {
        let mix = try OutcomeMix(parsing: "DELIVRD=90, UNDELIV=5,EXPIRED=3,REJECTD=2")
        #expect(mix.entries.map(\.weight) == [90, 5, 3, 2])
        #expect(mix.entries.map(\.outcome.error) == ["000", "001", "027", "013"])
        #expect(try OutcomeMix(parsing: "UNDELIV").entries.count == 1)
        #expect(throws: SimulatorConfigurationError.self) { try OutcomeMix(parsing: "DELIVRD=0") }
        #expect(throws: SimulatorConfigurationError.self) { try OutcomeMix(parsing: "") }
        #expect(throws: SimulatorConfigurationError.self) { try OutcomeMix(parsing: "LOST=1") }
    }

    @Test func anMOScriptIsParsedLineByLine() throws {
        let script = try MOScript(
            parsing: """
                # replies from handsets
                2 +447700900123 7726 YES please

                0.5 447700900124 7726 STOP\\nnow
                """,
            systemID: "shop"
        )
        #expect(script.lines.count == 2)
        #expect(script.lines[0].delay == 2)
        #expect(script.lines[0].message.from == "+447700900123")
        #expect(script.lines[0].message.to == "7726")
        #expect(script.lines[0].message.text == "YES please")
        #expect(script.lines[0].message.systemID == "shop")
        #expect(script.lines[1].delay == 0.5)
        #expect(script.lines[1].message.text == "STOP\nnow")
    }

    @Test func aBrokenMOScriptLineIsNamed() throws {
        let error = try #require(throws: SimulatorConfigurationError.self) {
            try MOScript(parsing: "1 a b text\n\nsoon 447700900123 7726 hello")
        }
        #expect(error.key == "mo-script line 3")
        #expect(throws: SimulatorConfigurationError.self) { try MOScript(parsing: "1 447700900123 7726") }
        #expect(throws: SimulatorConfigurationError.self) { try MOScript(parsing: "-1 a b c") }
    }

    @Test func anMOScriptIsPlayedInOrder() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.receiver)
                let clock = ContinuousClock()
                let start = clock.now
                simulator.play(try MOScript(parsing: "0.1 447700900123 7726 first\n0.1 447700900124 7726 second"))
                let first = try await esme.deliverSM().message
                let second = try await esme.deliverSM().message
                #expect(clock.now - start >= .milliseconds(190))
                #expect(String(buffer: first.shortMessage) == "first")
                #expect(first.source.value == "447700900123")
                #expect(String(buffer: second.shortMessage) == "second")
                #expect(second.source.value == "447700900124")
            }
        }
    }
}
