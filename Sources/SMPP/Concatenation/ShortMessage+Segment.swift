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

extension ESMClass {
    /// This class with the UDHI bit set or cleared.
    func settingUDHI(_ udhi: Bool) -> ESMClass {
        ESMClass(rawValue: udhi ? self.rawValue | Self.udhi.rawValue : self.rawValue & ~Self.udhi.rawValue)
    }
}

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
