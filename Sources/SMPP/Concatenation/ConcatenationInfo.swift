/// Which part of a concatenated message a PDU carries: from a UDH concatenation element (IEI 0x00
/// or 0x08) or from the SAR TLVs.
public struct ConcatenationInfo: Hashable, Sendable {
    /// Shared by all parts of one message (an 8-bit reference is widened).
    public var reference: UInt16
    /// The number of parts, 1–255.
    public var total: UInt8
    /// This part's number, 1…`total`.
    public var sequence: UInt8

    public init(reference: UInt16, total: UInt8, sequence: UInt8) {
        self.reference = reference
        self.total = total
        self.sequence = sequence
    }

    /// Whether the numbers are usable: `total` at least 1 and `sequence` within 1…`total`.
    /// 23.040 §9.2.3.24.1 says to ignore a concatenation element that breaks this.
    public var isValid: Bool {
        self.total >= 1 && self.sequence >= 1 && self.sequence <= self.total
    }
}

extension ConcatenationInfo {
    /// The numbers of the SAR TLVs (`sar_msg_ref_num`, `sar_total_segments`, `sar_segment_seqnum`),
    /// when all three are present with their sizes and valid numbers.
    public init?(sar tlvs: TLVs) {
        guard let reference = tlvs.sarMessageReference, let total = tlvs.sarTotalSegments,
            let sequence = tlvs.sarSegmentSequence
        else { return nil }
        self.init(reference: reference, total: total, sequence: sequence)
        guard self.isValid else { return nil }
    }
}
