/// How a text too long for one SMS travels (SMPP.md §10), chosen per SMSC connection.
public enum ConcatenationMethod: String, CaseIterable, Hashable, Sendable {
    /// One PDU per part, each starting with a UDH `05 00 03 RR TT NN` (8-bit reference), UDHI set.
    case udh8
    /// One PDU per part, each starting with a UDH `06 08 04 RH RL TT NN` (16-bit reference), UDHI set.
    case udh16
    /// One PDU per part without UDH, numbered by the `sar_msg_ref_num`, `sar_total_segments` and
    /// `sar_segment_seqnum` TLVs; the SMSC builds the UDH, so parts hold as much as with ``udh8``.
    case sar
    /// One PDU with all user data in the `message_payload` TLV and an empty short message; the SMSC
    /// segments it.
    case payload
}
