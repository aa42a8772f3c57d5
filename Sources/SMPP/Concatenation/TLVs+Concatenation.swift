internal import NIOCore

extension TLVs {
    /// These TLVs without `sar_*` and `message_payload`, then the SAR TLVs of `segment` and its user
    /// data as `message_payload` when `payload`.
    func replacingConcatenation(with segment: MessageSegment, payload: Bool) -> TLVs {
        var elements = self.elements.filter {
            $0.tag != .sarMsgRefNum && $0.tag != .sarTotalSegments && $0.tag != .sarSegmentSeqnum
                && $0.tag != .messagePayload
        }
        if let sar = segment.sar {
            elements.append(TLV(tag: .sarMsgRefNum, uint16: sar.reference))
            elements.append(TLV(tag: .sarTotalSegments, uint8: sar.total))
            elements.append(TLV(tag: .sarSegmentSeqnum, uint8: sar.sequence))
        }
        if payload {
            elements.append(TLV(tag: .messagePayload, value: segment.userData))
        }
        return TLVs(elements)
    }
}
