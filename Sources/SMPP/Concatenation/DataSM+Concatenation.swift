public import NIOCore

extension DataSM {
    /// The user data: the `message_payload` TLV, or nothing.
    public var userData: ByteBuffer {
        self.tlvs.messagePayload ?? ByteBuffer()
    }

    /// Which part of a concatenated message this PDU carries: from the UDH at the start of
    /// `message_payload` when esm_class has UDHI, else from the SAR TLVs; `nil` when not concatenated.
    public var concatenation: ConcatenationInfo? {
        if self.esmClass.hasUDHI {
            return try? UserDataHeader.split(self.userData).header.concatenation
        }
        return ConcatenationInfo(sar: self.tlvs)
    }
}
