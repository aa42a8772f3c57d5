extension DataSM {
    /// A new data_sm body for one segment, with every other field taken from `self`.
    ///
    /// data_sm has no `short_message`: the segment's user data (UDH included) always goes in
    /// `message_payload`. esm_class, data_coding and the SAR TLVs are set as for
    /// ``ShortMessage/applying(_:)``.
    public func applying(_ segment: MessageSegment) -> DataSM {
        DataSM(
            serviceType: self.serviceType,
            source: self.source,
            destination: self.destination,
            esmClass: self.esmClass.settingUDHI(segment.hasUserDataHeader),
            registeredDelivery: self.registeredDelivery,
            dataCoding: segment.dataCoding,
            tlvs: self.tlvs.replacingConcatenation(with: segment, payload: true)
        )
    }
}
