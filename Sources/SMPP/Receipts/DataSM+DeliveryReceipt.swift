internal import NIOCore

// Receipts carried by data_sm, whose user data travels only in `message_payload`.

extension DataSM {
    /// Whether this data_sm is a delivery receipt or intermediate notification:
    /// `esm_class` says so, or `receipted_message_id` and `message_state` TLVs are both present.
    public var isDeliveryReceipt: Bool {
        ReceiptInfo.isReceipt(esmClass: self.esmClass, tlvs: self.tlvs)
    }

    /// The receipt this data_sm carries, TLVs and `message_payload` text merged (TLVs winning),
    /// or `nil` when it is not a receipt or names no message id or state.
    public var deliveryReceipt: ReceiptInfo? {
        ReceiptInfo(
            esmClass: self.esmClass,
            dataCoding: self.dataCoding,
            userData: self.tlvs.messagePayload ?? ByteBuffer(),
            tlvs: self.tlvs
        )
    }

    /// A delivery receipt data_sm: the receipt TLVs, then the text in `message_payload`.
    ///
    /// The parameters are those of `DeliverSM.receipt(_:from:to:…)`; `source` is the original
    /// recipient and `destination` the original sender.
    public static func receipt(
        _ receipt: DeliveryReceipt,
        from source: Address,
        to destination: Address,
        receiptedMessageID: String? = nil,
        messageState: MessageState? = nil,
        networkErrorCode: NetworkErrorCode? = nil,
        intermediate: Bool = false,
        includeTLVs: Bool = true,
        formatting: DeliveryReceipt.FormattingOptions = DeliveryReceipt.FormattingOptions(),
        additionalTLVs: TLVs = []
    ) -> DataSM {
        let content = ReceiptContent(
            receipt,
            receiptedMessageID: receiptedMessageID,
            messageState: messageState,
            networkErrorCode: networkErrorCode,
            includeTLVs: includeTLVs,
            formatting: formatting,
            additionalTLVs: additionalTLVs,
            shortMessageLimit: 0
        )
        return DataSM(
            source: source,
            destination: destination,
            esmClass: intermediate ? .intermediateNotification : .deliveryReceipt,
            tlvs: content.tlvs
        )
    }
}
