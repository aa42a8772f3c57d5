extension ShortMessage {
    /// Which part of a concatenated message this PDU carries: from the UDH when esm_class has UDHI
    /// (`nil` when that header is malformed or has no valid concatenation element), else from the
    /// SAR TLVs; `nil` for a message that is not concatenated.
    public var concatenation: ConcatenationInfo? {
        if self.esmClass.hasUDHI {
            return try? UserDataHeader.split(self.userData).header.concatenation
        }
        return ConcatenationInfo(sar: self.tlvs)
    }
}
