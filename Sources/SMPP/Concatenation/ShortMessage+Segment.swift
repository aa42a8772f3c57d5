internal import NIOCore

extension ShortMessage {
    /// A new submit_sm / deliver_sm body for one segment, with every other field taken from `self`.
    ///
    /// The result has the segment's user data (in `short_message`, or in `message_payload` with an
    /// empty short message), esm_class with UDHI set exactly when the user data starts with a UDH,
    /// the segment's data_coding, and SAR TLVs for the ``ConcatenationMethod/sar`` method. Any
    /// `sar_*` or `message_payload` TLV of the template is dropped; its other TLVs are kept in order.
    /// Sequence numbers are the session's concern.
    public func applying(_ segment: MessageSegment) -> ShortMessage {
        let payload = segment.carrier == .messagePayload
        return ShortMessage(
            serviceType: self.serviceType,
            source: self.source,
            destination: self.destination,
            esmClass: self.esmClass.settingUDHI(segment.hasUserDataHeader),
            protocolID: self.protocolID,
            priorityFlag: self.priorityFlag,
            scheduleDeliveryTime: self.scheduleDeliveryTime,
            validityPeriod: self.validityPeriod,
            registeredDelivery: self.registeredDelivery,
            replaceIfPresentFlag: self.replaceIfPresentFlag,
            dataCoding: segment.dataCoding,
            smDefaultMessageID: self.smDefaultMessageID,
            shortMessage: payload ? ByteBuffer() : segment.userData,
            tlvs: self.tlvs.replacingConcatenation(with: segment, payload: payload)
        )
    }
}
