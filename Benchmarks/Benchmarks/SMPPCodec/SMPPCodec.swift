import Benchmark
import NIOCore
import SMPP

// Codec benchmarks: one PDU per iteration, so throughput reads as PDUs per second on one core,
// and mallocs read as allocations per PDU. Segmentation benchmarks: one message per iteration,
// cut into parts with a UDH (8-bit reference), so throughput reads as messages per second.

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

/// 2 × 153 < 340 septets ≤ 3 × 153 (the € is an extension character: two septets): three parts.
private let longGSM7Text =
    String(repeating: "Your parcel is on its way. ", count: 11) + "Pay the €3 fee at the door, or reply STOP."
/// 2 × 67 < 158 UTF-16 units ≤ 3 × 67 (the emoji is a surrogate pair): three parts.
private let longUCS2Text = String(repeating: "Ваша посылка в пути. ", count: 7) + "Спасибо! 📦"

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

    let segmenter = try! MessageSegmenter(configuration: .init(method: .udh8))
    precondition(try! segmenter.partCount(for: longGSM7Text, encoding: .gsm7) == 3)
    precondition(try! segmenter.partCount(for: longUCS2Text, encoding: .ucs2) == 3)

    Benchmark("segment GSM-7 text with an extension character, 3 parts") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try segmenter.segments(for: longGSM7Text, encoding: .gsm7, reference: 42))
        }
    }

    Benchmark("segment UCS-2 text with an emoji, 3 parts") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try segmenter.segments(for: longUCS2Text, encoding: .ucs2, reference: 42))
        }
    }
}
