import NIOCore
import SMPP
import SMSCSimulator
import Testing

/// query_sm, cancel_sm, replace_sm, data_sm and submit_multi against the simulator's store.
@Suite(.timeLimit(.minutes(1))) struct MessageOperationsTests {
    static let shop = Address(ton: .alphanumeric, npi: .unknown, "Shop")

    @Test func queryShowsEnrouteThenTheFinalState() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 0.5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)

                let early = try await esme.request(.querySM(QuerySM(messageID: id, source: Self.shop)))
                #expect(early.commandStatus == .ok)
                guard case .querySMResp(let pending) = early.pdu else {
                    Issue.record("expected query_sm_resp, got \(early.pdu)")
                    return
                }
                #expect(pending.messageID == id)
                #expect(pending.messageState == .enroute)
                #expect(pending.finalDate.isEmpty)

                _ = try await esme.deliverSM()
                let late = try await esme.request(.querySM(QuerySM(messageID: id, source: Self.shop)))
                guard case .querySMResp(let done) = late.pdu else {
                    Issue.record("expected query_sm_resp, got \(late.pdu)")
                    return
                }
                #expect(done.messageState == .delivered)
                #expect(done.finalDate.utf8.count == 16)
                #expect(done.errorCode == 0)
                #expect(simulator.counters.queries == 2)
            }
        }
    }

    @Test func queryOfAFailedMessageCarriesItsErrorCode() async throws {
        let configuration = SimulatorConfiguration.testing {
            $0.receipts.outcomes = try! OutcomeMix(parsing: "UNDELIV=1")
        }
        try await withSimulator(configuration) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                _ = try await esme.deliverSM()
                let response = try await esme.request(.querySM(QuerySM(messageID: id, source: Self.shop)))
                guard case .querySMResp(let query) = response.pdu else {
                    Issue.record("expected query_sm_resp, got \(response.pdu)")
                    return
                }
                #expect(query.messageState == .undeliverable)
                #expect(query.errorCode == 1)
            }
        }
    }

    @Test func queryOfAnUnknownIdOrAnotherSourceFails() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let unknown = try await esme.request(.querySM(QuerySM(messageID: "NOSUCHID", source: Self.shop)))
                #expect(unknown.commandID == .querySMResp)
                #expect(unknown.commandStatus == .invalidMessageID)
                let otherSource = try await esme.request(
                    .querySM(QuerySM(messageID: id, source: Address(ton: .alphanumeric, npi: .unknown, "Other")))
                )
                #expect(otherSource.commandStatus == .invalidMessageID)
            }
        }
    }

    @Test func cancelStopsTheReceipt() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 1 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let cancelled = try await esme.request(.cancelSM(CancelSM(messageID: id, source: Self.shop)))
                #expect(cancelled.commandID == .cancelSMResp)
                #expect(cancelled.commandStatus == .ok)

                #expect(try await never(for: .milliseconds(400)) { !esme.drain().isEmpty })
                let stored = try #require(simulator.message(id: id))
                #expect(stored.state == .deleted)
                #expect(stored.receipt == .cancelled)
                let query = try await esme.request(.querySM(QuerySM(messageID: id, source: Self.shop)))
                guard case .querySMResp(let response) = query.pdu else {
                    Issue.record("expected query_sm_resp")
                    return
                }
                #expect(response.messageState == .deleted)

                let twice = try await esme.request(.cancelSM(CancelSM(messageID: id, source: Self.shop)))
                #expect(twice.commandStatus == .cancelFailed)
            }
        }
    }

    @Test func cancelOfADeliveredOrUnknownMessageFails() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                _ = try await esme.deliverSM()
                let late = try await esme.request(.cancelSM(CancelSM(messageID: id, source: Self.shop)))
                #expect(late.commandStatus == .cancelFailed)
                let unknown = try await esme.request(.cancelSM(CancelSM(messageID: "NOSUCHID", source: Self.shop)))
                #expect(unknown.commandStatus == .cancelFailed)
                #expect(simulator.counters.cancels == 2)
            }
        }
    }

    @Test func cancelWithoutIdCancelsEveryPendingMessageToTheDestination() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let first = try #require(try await esme.request(submit("one", to: "447700900001")).messageID)
                let second = try #require(try await esme.request(submit("two", to: "447700900001")).messageID)
                let other = try #require(try await esme.request(submit("three", to: "447700900002")).messageID)
                let response = try await esme.request(
                    .cancelSM(
                        CancelSM(
                            messageID: "",
                            source: Self.shop,
                            destination: Address(ton: .international, npi: .isdn, "447700900001")
                        )
                    )
                )
                #expect(response.commandStatus == .ok)
                #expect(simulator.message(id: first)?.state == .deleted)
                #expect(simulator.message(id: second)?.state == .deleted)
                #expect(simulator.message(id: other)?.state == .enroute)
            }
        }
    }

    @Test func replaceChangesTheStoredTextAndTheReceipt() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 0.5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let replaced = try await esme.request(
                    .replaceSM(
                        ReplaceSM(
                            messageID: id,
                            source: Self.shop,
                            validityPeriod: "000001000000000R",
                            registeredDelivery: .receipt,
                            shortMessage: ByteBuffer(string: "Goodbye")
                        )
                    )
                )
                #expect(replaced.commandID == .replaceSMResp)
                #expect(replaced.commandStatus == .ok)
                let stored = try #require(simulator.message(id: id))
                #expect(stored.text == "Goodbye")
                #expect(stored.validityPeriod == "000001000000000R")
                let (_, receipt) = try await esme.deliverSM()
                #expect(receipt.deliveryReceipt?.text?.text == "Goodbye")
                #expect(simulator.counters.replaces == 1)
            }
        }
    }

    @Test func replaceKeepsTheDataCodingOfTheOriginal() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let original = SubmitSM(
                    source: Self.shop,
                    destination: Address(ton: .international, npi: .isdn, "79001234567"),
                    dataCoding: .ucs2,
                    shortMessage: ByteBuffer(bytes: UCS2.encode("Привет"))
                )
                let id = try #require(try await esme.request(.submitSM(original)).messageID)
                #expect(simulator.message(id: id)?.text == "Привет")
                let replaced = try await esme.request(
                    .replaceSM(
                        ReplaceSM(
                            messageID: id,
                            source: Self.shop,
                            shortMessage: ByteBuffer(bytes: UCS2.encode("Пока"))
                        )
                    )
                )
                #expect(replaced.commandStatus == .ok)
                #expect(simulator.message(id: id)?.text == "Пока")
            }
        }
    }

    @Test func replaceOfADeliveredOrUnknownMessageFails() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                _ = try await esme.deliverSM()
                let late = try await esme.request(
                    .replaceSM(ReplaceSM(messageID: id, source: Self.shop, shortMessage: ByteBuffer(string: "x")))
                )
                #expect(late.commandStatus == .replaceFailed)
                let unknown = try await esme.request(
                    .replaceSM(
                        ReplaceSM(messageID: "NOSUCHID", source: Self.shop, shortMessage: ByteBuffer(string: "x"))
                    )
                )
                #expect(unknown.commandStatus == .replaceFailed)
            }
        }
    }

    @Test func dataSMWithAPayloadIsStoredAndReceipted() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let text = String(repeating: "Long payload text. ", count: 20)
                var tlvs = TLVs()
                tlvs.messagePayload = ByteBuffer(string: text)
                let response = try await esme.request(
                    .dataSM(
                        DataSM(
                            source: Self.shop,
                            destination: Address(ton: .international, npi: .isdn, "447700900123"),
                            registeredDelivery: .receipt,
                            tlvs: tlvs
                        )
                    )
                )
                #expect(response.commandID == .dataSMResp)
                #expect(response.commandStatus == .ok)
                let id = try #require(response.messageID)
                let stored = try #require(simulator.message(id: id))
                #expect(stored.command == "data_sm")
                #expect(stored.text == text)
                let (_, receipt) = try await esme.deliverSM()
                #expect(receipt.deliveryReceipt?.messageID == id)
            }
        }
    }

    @Test func submitMultiAnswersOnceAndReceiptsEachDestination() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let multi = SubmitMulti(
                    source: Self.shop,
                    destinations: [
                        .address(Address(ton: .international, npi: .isdn, "447700900001")),
                        .distributionList("friends"),
                        .address(Address(ton: .international, npi: .isdn, "447700900002")),
                    ],
                    registeredDelivery: .receipt,
                    shortMessage: ByteBuffer(string: "Hello all")
                )
                let sequenceNumber = try await esme.send(.submitMulti(multi))
                // The response comes first, then one receipt per delivered destination.
                let first = try await esme.frame("the first PDU") { _ in true }
                #expect(first.sequenceNumber == sequenceNumber)
                guard case .submitMultiResp(let response) = first.pdu else {
                    Issue.record("expected submit_multi_resp first, got \(first.pdu)")
                    return
                }
                #expect(first.commandStatus == .ok)
                #expect(!response.messageID.isEmpty)
                #expect(response.unsuccessful.count == 1)
                #expect(response.unsuccessful.first?.errorStatus == .invalidDistributionListName)

                let one = try await esme.deliverSM().message
                let two = try await esme.deliverSM().message
                #expect(Set([one.source.value, two.source.value]) == ["447700900001", "447700900002"])
                // Both receipts name the id the ESME was given.
                #expect(one.deliveryReceipt?.messageID == response.messageID)
                #expect(two.deliveryReceipt?.messageID == response.messageID)
                let stored = simulator.messages().filter { $0.command == "submit_multi" }
                #expect(stored.count == 2)
                #expect(stored.allSatisfy { $0.id == response.messageID && $0.text == "Hello all" })
            }
        }
    }

    @Test func submitMultiWithNoDeliverableDestinationFailsAndSaysWhy() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let multi = SubmitMulti(
                    source: Self.shop,
                    destinations: [.distributionList("friends")],
                    shortMessage: ByteBuffer(string: "Hello")
                )
                let response = try await esme.request(.submitMulti(multi))
                #expect(response.commandID == .submitMultiResp)
                #expect(response.commandStatus == .submitFailed)
                guard case .submitMultiResp(let body) = response.pdu else {
                    Issue.record("expected submit_multi_resp, got \(response.pdu)")
                    return
                }
                #expect(body.unsuccessful.map(\.address.value) == ["friends"])
                #expect(body.unsuccessful.map(\.errorStatus) == [.invalidDistributionListName])
            }
        }
    }

    @Test func submitMultiRefusesAFaultOfTheMessageWithItsOwnStatus() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let destinations: [SubmitMulti.Destination] = [
                    .address(Address(ton: .international, npi: .isdn, "447700900001")),
                    .address(Address(ton: .international, npi: .isdn, "447700900002")),
                ]
                let faults: [(String, (inout SubmitMulti) -> Void, CommandStatus)] = [
                    ("priority 9", { $0.priorityFlag = 9 }, .invalidPriorityFlag),
                    ("month 13", { $0.scheduleDeliveryTime = "991399000000000+" }, .invalidScheduleDeliveryTime),
                    ("validity", { $0.validityPeriod = "000001000000100R" }, .invalidValidityPeriod),
                    ("registered_delivery", { $0.registeredDelivery = RegisteredDelivery(rawValue: 0xFF) }, .invalidRegisteredDelivery),
                ]
                for (name, fault, status) in faults {
                    var multi = SubmitMulti(
                        source: Self.shop,
                        destinations: destinations,
                        shortMessage: ByteBuffer(string: "Hello")
                    )
                    fault(&multi)
                    let response = try await esme.request(.submitMulti(multi))
                    #expect(response.commandStatus == status, "\(name)")
                }
                #expect(simulator.messages().isEmpty)
            }
        }
    }

    @Test func submitMultiToMoreThan254DestinationsIsRefused() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                // Written by hand: the encoder refuses more than 254 destinations.
                var body: [UInt8] = [0x00, 0x05, 0x00] + Array("Shop".utf8) + [0x00, 255]
                for index in 0..<255 {
                    body += [0x01, 0x01, 0x01] + Array("4477009\(10_000 + index)".utf8) + [0x00]
                }
                body += [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02] + Array("Hi".utf8)
                let sequenceNumber = esme.nextSequenceNumber()
                try await esme.sendRaw(
                    Wire.header(length: 16 + body.count, commandID: 0x21, sequenceNumber: sequenceNumber) + body
                )
                let response = try await esme.frame("submit_multi_resp") { $0.sequenceNumber == sequenceNumber }
                #expect(response.commandID == .submitMultiResp)
                #expect(response.commandStatus == .invalidNumberOfDestinations)
                #expect(simulator.messages().isEmpty)
            }
        }
    }

    @Test func aShortMessageOf255OctetsIsRefused() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                // Written by hand: the encoder refuses a short_message over 254 octets.
                let body: [UInt8] =
                    [0x00, 0x05, 0x00] + Array("Shop".utf8) + [0x00]
                    + [0x01, 0x01] + Array("447700900123".utf8) + [0x00]
                    + [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 255]
                    + Array(repeating: UInt8(ascii: "a"), count: 255)
                let sequenceNumber = esme.nextSequenceNumber()
                try await esme.sendRaw(
                    Wire.header(length: 16 + body.count, commandID: 0x04, sequenceNumber: sequenceNumber) + body
                )
                let response = try await esme.frame("submit_sm_resp") { $0.sequenceNumber == sequenceNumber }
                #expect(response.commandStatus == .invalidMessageLength)
                #expect(simulator.messages().isEmpty)
                #expect(try await esme.request(submit("still here")).commandStatus == .ok)
            }
        }
    }

    @Test func aSubmitOfAReceiptTypeOrACannedMessageIsRefused() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let destination = Address(ton: .international, npi: .isdn, "447700900123")
                for (esmClass, status) in [
                    (ESMClass.deliveryReceipt, CommandStatus.invalidESMClass), (.intermediateNotification, .invalidESMClass),
                    (.conversationAbort, .invalidESMClass), (.deliveryAcknowledgement, .ok), (.manualAcknowledgement, .ok),
                ] {
                    let message = SubmitSM(source: Self.shop, destination: destination, esmClass: esmClass, shortMessage: ByteBuffer(string: "x"))
                    #expect(try await esme.request(.submitSM(message)).commandStatus == status, "\(esmClass)")
                }
                let canned = SubmitSM(source: Self.shop, destination: destination, smDefaultMessageID: 1, shortMessage: ByteBuffer())
                #expect(try await esme.request(.submitSM(canned)).commandStatus == .invalidPredefinedMessage)
                #expect(simulator.messages().count == 2)
            }
        }
    }

    @Test func replaceChecksItsValuesAsASubmitDoes() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                var payload = TLVs()
                payload.messagePayload = ByteBuffer(string: "payload")
                let faults: [(String, ReplaceSM, CommandStatus)] = [
                    (
                        "month 13",
                        ReplaceSM(messageID: id, source: Self.shop, scheduleDeliveryTime: "991399000000000+", shortMessage: ByteBuffer(string: "x")),
                        .invalidScheduleDeliveryTime
                    ),
                    (
                        "validity",
                        ReplaceSM(messageID: id, source: Self.shop, validityPeriod: "000001000000100R", shortMessage: ByteBuffer(string: "x")),
                        .invalidValidityPeriod
                    ),
                    (
                        "registered_delivery",
                        ReplaceSM(messageID: id, source: Self.shop, registeredDelivery: RegisteredDelivery(rawValue: 0xFF), shortMessage: ByteBuffer(string: "x")),
                        .invalidRegisteredDelivery
                    ),
                    (
                        "short_message and message_payload",
                        ReplaceSM(messageID: id, source: Self.shop, shortMessage: ByteBuffer(string: "x"), tlvs: payload),
                        .invalidMessageLength
                    ),
                ]
                for (name, replace, status) in faults {
                    #expect(try await esme.request(.replaceSM(replace)).commandStatus == status, "\(name)")
                }
                let stored = try #require(simulator.message(id: id))
                #expect(stored.text == "Hello")
                #expect(stored.scheduleDeliveryTime.isEmpty)
                #expect(stored.validityPeriod.isEmpty)
            }
        }
    }

    @Test func anotherLoginCannotQueryReplaceOrCancelAMessage() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { owner in
                try await owner.bind(.transceiver, systemID: "owner")
                let id = try #require(try await owner.request(submit("Hello")).messageID)
                try await TestESME.with(port: simulator.port!) { other in
                    try await other.bind(.transceiver, systemID: "other")
                    let query = try await other.request(.querySM(QuerySM(messageID: id, source: Self.shop)))
                    #expect(query.commandStatus == .invalidMessageID)
                    let replace = try await other.request(
                        .replaceSM(ReplaceSM(messageID: id, source: Self.shop, shortMessage: ByteBuffer(string: "Taken")))
                    )
                    #expect(replace.commandStatus == .replaceFailed)
                    let cancel = try await other.request(.cancelSM(CancelSM(messageID: id, source: Self.shop)))
                    #expect(cancel.commandStatus == .cancelFailed)
                    let cancelAll = try await other.request(.cancelSM(CancelSM(messageID: "", source: Self.shop)))
                    #expect(cancelAll.commandStatus == .cancelFailed)
                }
                let mine = try await owner.request(.querySM(QuerySM(messageID: id, source: Self.shop)))
                guard case .querySMResp(let state) = mine.pdu else {
                    Issue.record("expected query_sm_resp, got \(mine.pdu)")
                    return
                }
                #expect(state.messageState == .enroute)
                #expect(simulator.message(id: id)?.text == "Hello")
            }
        }
    }

    @Test func cancelWithAnIdChecksTheDestinationWhenGiven() async throws {
        try await withSimulator(.testing { $0.receipts.delay = 5 }) { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                let stored = try #require(simulator.message(id: id))
                let wrong = try await esme.request(
                    .cancelSM(
                        CancelSM(
                            messageID: id,
                            source: Self.shop,
                            destination: Address(ton: .international, npi: .isdn, "447700900999")
                        )
                    )
                )
                #expect(wrong.commandStatus == .cancelFailed)
                let right = try await esme.request(
                    .cancelSM(CancelSM(messageID: id, source: Self.shop, destination: stored.destination))
                )
                #expect(right.commandStatus == .ok)
            }
        }
    }

    @Test func aReceiptForAddressesTooLongForDeliverSMComesAsDataSM() async throws {
        try await withSimulator { simulator in
            try await TestESME.with(port: simulator.port!) { esme in
                try await esme.bind(.transceiver)
                var tlvs = TLVs()
                tlvs.messagePayload = ByteBuffer(string: "hi")
                let longSource = Address(ton: .unknown, npi: .unknown, String(repeating: "1", count: 64))
                let response = try await esme.request(
                    .dataSM(
                        DataSM(
                            source: longSource,
                            destination: Address(ton: .international, npi: .isdn, "447700900002"),
                            registeredDelivery: .receipt,
                            tlvs: tlvs
                        )
                    )
                )
                #expect(response.commandStatus == .ok)
                let id = try #require(response.messageID)
                let frame = try await esme.frame("data_sm receipt") { $0.commandID == .dataSM }
                guard case .dataSM(let receipt) = frame.pdu else {
                    Issue.record("expected data_sm, got \(frame.pdu)")
                    return
                }
                #expect(receipt.isDeliveryReceipt)
                #expect(receipt.destination == longSource)
                #expect(receipt.deliveryReceipt?.messageID == id)
                try await eventually("the receipt acknowledged") { simulator.counters.receiptsAcknowledged == 1 }
                #expect(simulator.counters.receiptsFailed == 0)
            }
        }
    }
}
