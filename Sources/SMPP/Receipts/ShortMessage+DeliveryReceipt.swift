// Receipts carried by deliver_sm. `DeliverSM` and `SubmitSM` are the same type (`ShortMessage`),
// so these members also appear on submit_sm values, where they have no use.

extension ShortMessage {
    /// Whether this deliver_sm is a delivery receipt or intermediate notification:
    /// `esm_class` says so, or `receipted_message_id` and `message_state` TLVs are both present.
    ///
    /// When this is true but ``deliveryReceipt`` is `nil`, the PDU is a receipt that names no
    /// message or no state: acknowledge it, do not treat it as a mobile-originated message.
    public var isDeliveryReceipt: Bool {
        ReceiptInfo.isReceipt(esmClass: self.esmClass, tlvs: self.tlvs)
    }

    /// The receipt this deliver_sm carries, TLVs and text merged (TLVs winning), or `nil` when it
    /// is not a receipt or names no message id or state.
    ///
    /// The text is taken from ``userData`` (`short_message`, or `message_payload` when that is
    /// empty), after a User Data Header when UDHI is set, and decoded as UTF-16BE when
    /// `data_coding` is UCS-2.
    public var deliveryReceipt: ReceiptInfo? {
        ReceiptInfo(esmClass: self.esmClass, dataCoding: self.dataCoding, userData: self.userData, tlvs: self.tlvs)
    }

    /// A delivery receipt for `submission`, as an SMSC sends it: addresses reversed (from the
    /// original recipient to the original sender), the text in `short_message` (or in
    /// `message_payload` when longer than 254 octets), and the receipt TLVs.
    ///
    /// See ``receipt(_:from:to:receiptedMessageID:messageState:networkErrorCode:intermediate:includeTLVs:formatting:additionalTLVs:)``
    /// for the parameters.
    public static func receipt(
        _ receipt: DeliveryReceipt,
        for submission: SubmitSM,
        receiptedMessageID: String? = nil,
        messageState: MessageState? = nil,
        networkErrorCode: NetworkErrorCode? = nil,
        intermediate: Bool = false,
        includeTLVs: Bool = true,
        formatting: DeliveryReceipt.FormattingOptions = DeliveryReceipt.FormattingOptions(),
        additionalTLVs: TLVs = []
    ) -> DeliverSM {
        Self.receipt(
            receipt,
            from: submission.destination,
            to: submission.source,
            receiptedMessageID: receiptedMessageID,
            messageState: messageState,
            networkErrorCode: networkErrorCode,
            intermediate: intermediate,
            includeTLVs: includeTLVs,
            formatting: formatting,
            additionalTLVs: additionalTLVs
        )
    }

    /// A delivery receipt deliver_sm.
    ///
    /// - Parameters:
    ///   - receipt: the text, written with ``DeliveryReceipt/formatted(_:)``.
    ///   - source: the original recipient (the handset).
    ///   - destination: the original sender (the ESME's address).
    ///   - receiptedMessageID: the `receipted_message_id` TLV; default the text's id.
    ///   - messageState: the `message_state` TLV; default the state of the text's `stat:` (no TLV
    ///     when that word names no state).
    ///   - networkErrorCode: the `network_error_code` TLV; none by default.
    ///   - intermediate: esm_class 0x20 (intermediate notification) instead of 0x04.
    ///   - includeTLVs: false for a peer bound with interface version below 3.4, which must not
    ///     receive TLVs; then only the text is sent.
    ///   - formatting: how the text is written (date length, text truncation).
    ///   - additionalTLVs: appended after the receipt TLVs, e.g. vendor TLVs.
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
    ) -> DeliverSM {
        let content = ReceiptContent(
            receipt,
            receiptedMessageID: receiptedMessageID,
            messageState: messageState,
            networkErrorCode: networkErrorCode,
            includeTLVs: includeTLVs,
            formatting: formatting,
            additionalTLVs: additionalTLVs,
            shortMessageLimit: 254
        )
        return DeliverSM(
            source: source,
            destination: destination,
            esmClass: intermediate ? .intermediateNotification : .deliveryReceipt,
            shortMessage: content.shortMessage,
            tlvs: content.tlvs
        )
    }
}
