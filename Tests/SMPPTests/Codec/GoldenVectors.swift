import NIOCore
import SMPP
import Testing

/// A PDU value and the octets the specification's field layouts give for it, written by hand
/// (not produced by our encoder). Sizes in the comments are computed from SMPP.md §4.
struct GoldenVector: CustomTestStringConvertible, Sendable {
    let name: String
    let frame: SMPPFrame
    let bytes: [UInt8]

    var testDescription: String { self.name }
}

private func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
private func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

let receiptText =
    "id:0000000001 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello"

let goldenVectors: [GoldenVector] = [
    // SMPP.md §12.1
    GoldenVector(
        name: "enquire_link",
        frame: SMPPFrame(.enquireLink, sequenceNumber: 1),
        bytes: wire("00000010 00000015 00000000 00000001")
    ),
    GoldenVector(
        name: "enquire_link_resp",
        frame: SMPPFrame(.enquireLinkResp, sequenceNumber: 1),
        bytes: wire("00000010 80000015 00000000 00000001")
    ),
    // SMPP.md §12.2: 16 + "test\0" 5 + "pw\0" 3 + "" 1 + version 1 + ton 1 + npi 1 + "" 1 = 29
    GoldenVector(
        name: "bind_transceiver",
        frame: SMPPFrame(.bindTransceiver(Bind(systemID: "test", password: "pw")), sequenceNumber: 1),
        bytes: wire("0000001D 00000009 00000000 00000001", .cString("test"), .cString("pw"), "00", "34", "00 00 00")
    ),
    GoldenVector(
        name: "bind_transceiver_resp",
        frame: SMPPFrame(.bindTransceiverResp(BindResponse(systemID: "SMSC")), sequenceNumber: 1),
        bytes: wire("00000015 80000009 00000000 00000001", .cString("SMSC"))
    ),
    // 16 + "esme01\0" 7 + "secret\0" 7 + "VMS\0" 4 + 0x34 + ton 1 + npi 1 + "447\0" 4 = 41
    GoldenVector(
        name: "bind_receiver with address range",
        frame: SMPPFrame(
            .bindReceiver(
                Bind(
                    systemID: "esme01",
                    password: "secret",
                    systemType: "VMS",
                    interfaceVersion: .v34,
                    addressRange: Address(ton: .international, npi: .isdn, "447")
                )
            ),
            sequenceNumber: 2
        ),
        bytes: wire(
            "00000029 00000001 00000000 00000002",
            .cString("esme01"),
            .cString("secret"),
            .cString("VMS"),
            "34",
            "01",
            "01",
            .cString("447")
        )
    ),
    // SMPP.md §4.1, the password at its maximum of 8 characters and an address range of type only:
    // 16 + "smsbridge\0" 10 + "secret12\0" 9 + "SMPP\0" 5 + 0x34 + ton 1 + npi 1 + "" 1 = 44
    GoldenVector(
        name: "bind_transmitter",
        frame: SMPPFrame(
            .bindTransmitter(
                Bind(
                    systemID: "smsbridge",
                    password: "secret12",
                    systemType: "SMPP",
                    interfaceVersion: .v34,
                    addressRange: Address(ton: .international, npi: .isdn, "")
                )
            ),
            sequenceNumber: 3
        ),
        bytes: wire(
            "0000002C 00000002 00000000 00000003",
            .cString("smsbridge"),
            .cString("secret12"),
            .cString("SMPP"),
            "34",
            "01",
            "01",
            "00"
        )
    ),
    // SMPP.md §4.2, an SMSC announcing SMPP 5.0: 16 + "SMSC01\0" 7 + TLV sc_interface_version (4 + 1) = 28
    GoldenVector(
        name: "bind_receiver_resp with sc_interface_version 5.0",
        frame: SMPPFrame(
            .bindReceiverResp(BindResponse(systemID: "SMSC01", interfaceVersion: .v50)),
            sequenceNumber: 2
        ),
        bytes: wire("0000001C 80000001 00000000 00000002", .cString("SMSC01"), "0210 0001 50")
    ),
    // 16 + "SMSC\0" 5 + TLV sc_interface_version (4 + 1) = 26
    GoldenVector(
        name: "bind_transmitter_resp with sc_interface_version",
        frame: SMPPFrame(
            .bindTransmitterResp(BindResponse(systemID: "SMSC", interfaceVersion: .v34)),
            sequenceNumber: 2
        ),
        bytes: wire("0000001A 80000002 00000000 00000002", .cString("SMSC"), "0210 0001 34")
    ),
    // SMPP.md §1.6: the body of a failed bind response is omitted.
    GoldenVector(
        name: "bind_transmitter_resp failed (no body)",
        frame: SMPPFrame(
            .bindTransmitterResp(BindResponse(systemID: "")),
            sequenceNumber: 3,
            commandStatus: .invalidPassword
        ),
        bytes: wire("00000010 80000002 0000000E 00000003")
    ),
    // 16 + "SMSC\0" 5 + "pw\0" 3 = 24
    GoldenVector(
        name: "outbind",
        frame: SMPPFrame(.outbind(Outbind(systemID: "SMSC", password: "pw")), sequenceNumber: 1),
        bytes: wire("00000018 0000000B 00000000 00000001", .cString("SMSC"), .cString("pw"))
    ),
    GoldenVector(
        name: "unbind",
        frame: SMPPFrame(.unbind, sequenceNumber: 5),
        bytes: wire("00000010 00000006 00000000 00000005")
    ),
    GoldenVector(
        name: "unbind_resp",
        frame: SMPPFrame(.unbindResp, sequenceNumber: 5),
        bytes: wire("00000010 80000006 00000000 00000005")
    ),
    // SMPP.md §12.3
    GoldenVector(
        name: "submit_sm",
        frame: SMPPFrame(
            .submitSM(
                SubmitSM(
                    source: Address(ton: .alphanumeric, npi: .unknown, "Test"),
                    destination: Address(ton: .international, npi: .isdn, "79001234567"),
                    registeredDelivery: .receipt,
                    shortMessage: buffer("Hello")
                )
            ),
            sequenceNumber: 2
        ),
        bytes: wire(
            "00000035 00000004 00000000 00000002",
            "00",
            "05 00",
            .cString("Test"),
            "01 01",
            .cString("79001234567"),
            "00 00 00",
            "00 00",
            "01 00 00 00",
            "05",
            .text("Hello")
        )
    ),
    GoldenVector(
        name: "submit_sm_resp",
        frame: SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "0000000001")), sequenceNumber: 2),
        bytes: wire("0000001B 80000004 00000000 00000002", .cString("0000000001"))
    ),
    GoldenVector(
        name: "submit_sm_resp throttled (no body)",
        frame: SMPPFrame(.submitSMResp(SubmitSMResponse()), sequenceNumber: 4, commandStatus: .throttled),
        bytes: wire("00000010 80000004 00000058 00000004")
    ),
    // 16 + service 1 + source 15 + dest 15 + esm/pid/prio 3 + sched 1 + validity 17 + 4 flags
    //    + sm 1+4 + TLVs (6 + 6 + 5 + 5) = 99
    GoldenVector(
        name: "submit_sm UCS-2 with relative validity and SAR TLVs",
        frame: SMPPFrame(
            .submitSM(
                SubmitSM(
                    source: Address(ton: .international, npi: .isdn, "447700900001"),
                    destination: Address(ton: .international, npi: .isdn, "447700900002"),
                    priorityFlag: 1,
                    validityPeriod: "000001000000000R",
                    registeredDelivery: .receipt,
                    dataCoding: .ucs2,
                    shortMessage: buffer([0x00, 0x48, 0x00, 0x69]),
                    tlvs: [
                        TLV(tag: .userMessageReference, uint16: 0x1234),
                        TLV(tag: .sarMsgRefNum, uint16: 0x002A),
                        TLV(tag: .sarTotalSegments, uint8: 2),
                        TLV(tag: .sarSegmentSeqnum, uint8: 1),
                    ]
                )
            ),
            sequenceNumber: 0x7FFF_FFFF
        ),
        bytes: wire(
            "00000063 00000004 00000000 7FFFFFFF",
            "00",
            "01 01",
            .cString("447700900001"),
            "01 01",
            .cString("447700900002"),
            "00 00 01",
            "00",
            .cString("000001000000000R"),
            "01 00 08 00",
            "04 0048 0069",
            "0204 0002 1234",
            "020C 0002 002A",
            "020E 0001 02",
            "020F 0001 01"
        )
    ),
    // SMPP.md §12.5 (command_length 0xB6 = 182)
    GoldenVector(
        name: "deliver_sm receipt with TLVs",
        frame: SMPPFrame(
            .deliverSM(
                DeliverSM(
                    source: Address(ton: .international, npi: .isdn, "79001234567"),
                    destination: Address(ton: .alphanumeric, npi: .unknown, "Test"),
                    esmClass: .deliveryReceipt,
                    shortMessage: buffer(receiptText),
                    tlvs: [
                        TLV(tag: .receiptedMessageID, cString: "0000000001"),
                        TLV(tag: .messageState, uint8: 2),
                        TLV(tag: .networkErrorCode, bytes: [0x03, 0x00, 0x00]),
                    ]
                )
            ),
            sequenceNumber: 7
        ),
        bytes: wire(
            "000000B6 00000005 00000000 00000007",
            "00",
            "01 01",
            .cString("79001234567"),
            "05 00",
            .cString("Test"),
            "04 00 00",
            "00 00",
            "00 00 00 00",
            "6B",
            .text(receiptText),
            "001E 000B",
            .cString("0000000001"),
            "0427 0001 02",
            "0423 0003 03 00 00"
        )
    ),
    GoldenVector(
        name: "deliver_sm_resp",
        frame: SMPPFrame(.deliverSMResp(DeliverSMResponse()), sequenceNumber: 7),
        bytes: wire("00000011 80000005 00000000 00000007 00")
    ),
    // Vendor TLVs 0x2000 (cost, C-string) and 0x2001 (flags) kept verbatim, in the peer's order.
    // 16 + 1 + source 2+12 + dest 2+5 + 3 + 2 + 4 + sm 1+2 + TLVs (4+7) + (4+2) = 67
    GoldenVector(
        name: "deliver_sm MO with vendor TLVs",
        frame: SMPPFrame(
            .deliverSM(
                DeliverSM(
                    source: Address(ton: .international, npi: .isdn, "44770090000"),
                    destination: Address(ton: .unknown, npi: .unknown, "7726"),
                    shortMessage: buffer("Hi"),
                    tlvs: [
                        TLV(tag: TLVTag(0x2001), bytes: [0x00, 0x21]),
                        TLV(tag: TLVTag(0x2000), bytes: Array("0.0450".utf8) + [0]),
                    ]
                )
            ),
            sequenceNumber: 8
        ),
        bytes: wire(
            "00000043 00000005 00000000 00000008",
            "00",
            "01 01",
            .cString("44770090000"),
            "00 00",
            .cString("7726"),
            "00 00 00",
            "00 00",
            "00 00 00 00",
            "02",
            .text("Hi"),
            "2001 0002 0021",
            "2000 0007",
            .cString("0.0450")
        )
    ),
    // A Latin-1 alphanumeric sender ("Café" with é = 0xE9, not UTF-8): the octet that is not UTF-8
    // reads as U+F7E9 and is written back as 0xE9. 16 + 1 + source 2+5 + dest 2+13 + 3 + 2 + 4 + sm 1+2 = 51
    GoldenVector(
        name: "deliver_sm MO from a Latin-1 sender",
        frame: SMPPFrame(
            .deliverSM(
                DeliverSM(
                    source: Address(ton: .alphanumeric, npi: .unknown, "Caf\u{F7E9}"),
                    destination: Address(ton: .international, npi: .isdn, "447700900001"),
                    shortMessage: buffer("Hi")
                )
            ),
            sequenceNumber: 9
        ),
        bytes: wire(
            "00000033 00000005 00000000 00000009",
            "00",
            "05 00",
            "43 61 66 E9 00",
            "01 01",
            .cString("447700900001"),
            "00 00 00",
            "00 00",
            "00 00 00 00",
            "02",
            .text("Hi")
        )
    ),
    // SMPP.md §12.4
    GoldenVector(
        name: "generic_nack",
        frame: SMPPFrame(.genericNack, sequenceNumber: 9, commandStatus: .invalidCommandID),
        bytes: wire("00000010 80000000 00000003 00000009")
    ),
    // 16 + 1 + source 2+5 + count 1 + (1 + 2+13) + (1 + 8) + 3 + 2 + 4 + sm 1+2 = 62
    GoldenVector(
        name: "submit_multi",
        frame: SMPPFrame(
            .submitMulti(
                SubmitMulti(
                    source: Address(ton: .alphanumeric, npi: .unknown, "Shop"),
                    destinations: [
                        .address(Address(ton: .international, npi: .isdn, "447700900001")),
                        .distributionList("friends"),
                    ],
                    registeredDelivery: .receipt,
                    shortMessage: buffer("Hi")
                )
            ),
            sequenceNumber: 10
        ),
        bytes: wire(
            "0000003E 00000021 00000000 0000000A",
            "00",
            "05 00",
            .cString("Shop"),
            "02",
            "01",
            "01 01",
            .cString("447700900001"),
            "02",
            .cString("friends"),
            "00 00 00",
            "00 00",
            "01 00 00 00",
            "02",
            .text("Hi")
        )
    ),
    // 16 + "abc\0" 4 + count 1 + (2 + 13 + 4) = 40
    GoldenVector(
        name: "submit_multi_resp with an unsuccessful destination",
        frame: SMPPFrame(
            .submitMultiResp(
                SubmitMultiResponse(
                    messageID: "abc",
                    unsuccessful: [
                        .init(
                            address: Address(ton: .international, npi: .isdn, "447700900001"),
                            errorStatus: .invalidDestinationAddress
                        )
                    ]
                )
            ),
            sequenceNumber: 10
        ),
        bytes: wire(
            "00000028 80000021 00000000 0000000A",
            .cString("abc"),
            "01",
            "01 01",
            .cString("447700900001"),
            "0000000B"
        )
    ),
    // 16 + "WAP\0" 4 + 15 + 15 + 3 + TLVs (4+3) + (4+2) + (4+2) = 72
    GoldenVector(
        name: "data_sm with payload and ports",
        frame: SMPPFrame(
            .dataSM(
                DataSM(
                    serviceType: "WAP",
                    source: Address(ton: .international, npi: .isdn, "447700900001"),
                    destination: Address(ton: .international, npi: .isdn, "447700900002"),
                    registeredDelivery: .receipt,
                    dataCoding: .binary,
                    tlvs: [
                        TLV(tag: .messagePayload, bytes: [1, 2, 3]),
                        TLV(tag: .sourcePort, uint16: 0x23F0),
                        TLV(tag: .destinationPort, uint16: 0x0B84),
                    ]
                )
            ),
            sequenceNumber: 11
        ),
        bytes: wire(
            "00000048 00000103 00000000 0000000B",
            .cString("WAP"),
            "01 01",
            .cString("447700900001"),
            "01 01",
            .cString("447700900002"),
            "00 01 04",
            "0424 0003 010203",
            "020A 0002 23F0",
            "020B 0002 0B84"
        )
    ),
    // 16 + "m1\0" 3 + TLV (4+1) = 24
    GoldenVector(
        name: "data_sm_resp with delivery_failure_reason",
        frame: SMPPFrame(
            .dataSMResp(DataSMResponse(messageID: "m1", tlvs: [TLV(tag: .deliveryFailureReason, uint8: 3)])),
            sequenceNumber: 11,
            commandStatus: .deliveryFailure
        ),
        bytes: wire("00000018 80000103 000000FE 0000000B", .cString("m1"), "0425 0001 03")
    ),
    // 16 + "12345\0" 6 + 15 = 37
    GoldenVector(
        name: "query_sm",
        frame: SMPPFrame(
            .querySM(QuerySM(messageID: "12345", source: Address(ton: .international, npi: .isdn, "447700900001"))),
            sequenceNumber: 12
        ),
        bytes: wire("00000025 00000003 00000000 0000000C", .cString("12345"), "01 01", .cString("447700900001"))
    ),
    // 16 + 6 + 17 + 1 + 1 = 41
    GoldenVector(
        name: "query_sm_resp",
        frame: SMPPFrame(
            .querySMResp(
                QuerySMResponse(
                    messageID: "12345",
                    finalDate: "250101120000004+",
                    messageState: .delivered,
                    errorCode: 0
                )
            ),
            sequenceNumber: 12
        ),
        bytes: wire("00000029 80000003 00000000 0000000C", .cString("12345"), .cString("250101120000004+"), "02", "00")
    ),
    // 16 + 1 + 6 + 15 + 3 = 41
    GoldenVector(
        name: "cancel_sm",
        frame: SMPPFrame(
            .cancelSM(
                CancelSM(messageID: "12345", source: Address(ton: .international, npi: .isdn, "447700900001"))
            ),
            sequenceNumber: 13
        ),
        bytes: wire(
            "00000029 00000008 00000000 0000000D",
            "00",
            .cString("12345"),
            "01 01",
            .cString("447700900001"),
            "00 00 00"
        )
    ),
    GoldenVector(
        name: "cancel_sm_resp",
        frame: SMPPFrame(.cancelSMResp, sequenceNumber: 13),
        bytes: wire("00000010 80000008 00000000 0000000D")
    ),
    // 16 + 6 + 15 + 1 + 17 + 2 + sm 1+3 = 61
    GoldenVector(
        name: "replace_sm",
        frame: SMPPFrame(
            .replaceSM(
                ReplaceSM(
                    messageID: "12345",
                    source: Address(ton: .international, npi: .isdn, "447700900001"),
                    validityPeriod: "000000001000000R",
                    registeredDelivery: .receipt,
                    shortMessage: buffer("New")
                )
            ),
            sequenceNumber: 14
        ),
        bytes: wire(
            "0000003D 00000007 00000000 0000000E",
            .cString("12345"),
            "01 01",
            .cString("447700900001"),
            "00",
            .cString("000000001000000R"),
            "01 00",
            "03",
            .text("New")
        )
    ),
    GoldenVector(
        name: "replace_sm_resp",
        frame: SMPPFrame(.replaceSMResp, sequenceNumber: 14),
        bytes: wire("00000010 80000007 00000000 0000000E")
    ),
    // 16 + 15 + 3 + TLV (4+1) = 39
    GoldenVector(
        name: "alert_notification",
        frame: SMPPFrame(
            .alertNotification(
                AlertNotification(
                    source: Address(ton: .international, npi: .isdn, "447700900001"),
                    esmeAddress: .null,
                    tlvs: [TLV(tag: .msAvailabilityStatus, uint8: 0)]
                )
            ),
            sequenceNumber: 15
        ),
        bytes: wire(
            "00000027 00000102 00000000 0000000F",
            "01 01",
            .cString("447700900001"),
            "00 00 00",
            "0422 0001 00"
        )
    ),
    // An id SMPP 3.4 does not assign, with a body kept raw.
    GoldenVector(
        name: "unknown command 0x0000000A",
        frame: SMPPFrame(
            .unknown(UnknownPDU(commandID: CommandID(rawValue: 0x0A), body: buffer([1, 2, 3]))),
            sequenceNumber: 16
        ),
        bytes: wire("00000013 0000000A 00000000 00000010", "01 02 03")
    ),
    // SMPP 5.0 broadcast_sm is not part of 3.4: unknown, kept raw.
    GoldenVector(
        name: "unknown SMPP 5.0 broadcast_sm",
        frame: SMPPFrame(.unknown(UnknownPDU(commandID: CommandID(rawValue: 0x111))), sequenceNumber: 17),
        bytes: wire("00000010 00000111 00000000 00000011")
    ),
]
