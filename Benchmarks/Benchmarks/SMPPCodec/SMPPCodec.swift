import Benchmark
import NIOCore
import SMPP

// Codec benchmarks: one PDU per iteration, so throughput reads as PDUs per second on one core,
// and mallocs read as allocations per PDU.

private let submitSM = SMPPFrame(
    .submitSM(
        SubmitSM(
            source: Address(ton: .alphanumeric, npi: .unknown, "SMSBridge"),
            destination: Address(ton: .international, npi: .isdn, "447700900123"),
            registeredDelivery: .receipt,
            shortMessage: ByteBuffer(string: "Your verification code is 123456. It expires in 10 minutes.")
        )
    ),
    sequenceNumber: 42
)

private let receiptText =
    "id:1A2B3C4D5E6F sub:001 dlvrd:001 submit date:2511251200 done date:2511251201 stat:DELIVRD err:000 text:Your verification"

private let deliverSMReceipt = SMPPFrame(
    .deliverSM(
        DeliverSM(
            source: Address(ton: .international, npi: .isdn, "447700900123"),
            destination: Address(ton: .alphanumeric, npi: .unknown, "SMSBridge"),
            esmClass: .deliveryReceipt,
            shortMessage: ByteBuffer(string: receiptText),
            tlvs: [
                TLV(tag: .receiptedMessageID, cString: "1A2B3C4D5E6F"),
                TLV(tag: .messageState, uint8: 2),
                TLV(tag: .networkErrorCode, bytes: [3, 0, 0]),
            ]
        )
    ),
    sequenceNumber: 43
)

private func encoded(_ frame: SMPPFrame) -> ByteBuffer {
    var buffer = ByteBuffer()
    try! buffer.writeSMPPFrame(frame)
    return buffer
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .instructions],
        warmupIterations: 1_000,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    let submitBytes = encoded(submitSM)
    let receiptBytes = encoded(deliverSMReceipt)

    Benchmark("decode submit_sm") { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = submitBytes
            blackHole(try buffer.readSMPPFrame())
        }
    }

    Benchmark("encode submit_sm") { benchmark in
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        for _ in benchmark.scaledIterations {
            buffer.clear()
            blackHole(try buffer.writeSMPPFrame(submitSM))
        }
    }

    Benchmark("decode deliver_sm receipt") { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = receiptBytes
            blackHole(try buffer.readSMPPFrame())
        }
    }

    Benchmark("encode deliver_sm receipt") { benchmark in
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        for _ in benchmark.scaledIterations {
            buffer.clear()
            blackHole(try buffer.writeSMPPFrame(deliverSMReceipt))
        }
    }
}
