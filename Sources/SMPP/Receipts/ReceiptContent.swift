internal import NIOCore

/// The user data and TLVs of a receipt PDU being built, shared by deliver_sm and data_sm.
struct ReceiptContent {
    /// The text when it fits `short_message`, else empty.
    var shortMessage: ByteBuffer
    /// `receipted_message_id`, `message_state`, `network_error_code` (each when known and wanted),
    /// then `message_payload` when the text did not fit, then the additional TLVs.
    var tlvs: TLVs

    /// - Parameter shortMessageLimit: the most octets `short_message` may carry; 0 puts the text
    ///   in `message_payload` (data_sm).
    init(
        _ receipt: DeliveryReceipt,
        receiptedMessageID: String?,
        messageState: MessageState?,
        networkErrorCode: NetworkErrorCode?,
        includeTLVs: Bool,
        formatting: DeliveryReceipt.FormattingOptions,
        additionalTLVs: TLVs,
        shortMessageLimit: Int
    ) {
        let text = ByteBuffer(string: receipt.formatted(formatting))
        var tlvs = TLVs()
        if includeTLVs {
            if let id = receiptedMessageID ?? receipt.id, !id.isEmpty {
                tlvs.receiptedMessageID = id
            }
            if let state = messageState ?? receipt.state {
                tlvs.messageState = state
            }
            if let networkErrorCode {
                tlvs.networkErrorCode = networkErrorCode
            }
        }
        if text.readableBytes > shortMessageLimit {
            tlvs.messagePayload = text
            self.shortMessage = ByteBuffer()
        } else {
            self.shortMessage = text
        }
        tlvs.elements.append(contentsOf: additionalTLVs)
        self.tlvs = tlvs
    }
}
