internal import NIOCore

/// A delivery receipt read from a deliver_sm or data_sm: the TLVs and the text merged, TLVs winning.
///
/// The receipt TLVs are authoritative when present (SMPP.md §8.1): the message id comes from
/// `receipted_message_id`, the state from `message_state` and the error from
/// `network_error_code`; the text supplies everything else (counts, dates, `err:`, `text:`) and
/// is kept whole in ``text``. A receipt needs a message id and a state (a `message_state` TLV or a
/// `stat:` word, even a non-standard one) from one source or the other.
///
/// Get one from `DeliverSM.deliveryReceipt` or `DataSM.deliveryReceipt`. The PDU itself is left
/// untouched: every TLV, including vendor ones such as `0x2000`/`0x2001`, stays in its `tlvs`;
/// ``vendorTLVs`` repeats the vendor-specific ones for convenience.
public struct ReceiptInfo: Hashable, Sendable {
    /// Where a merged value came from.
    public enum Origin: Hashable, Sendable {
        /// A TLV of the PDU.
        case tlv
        /// The receipt text.
        case text
    }

    /// The SMSC message id the receipt refers to: `receipted_message_id` when present, else the
    /// text's `id:`. Compare it with submit_sm_resp ids after normalising (the two may differ in
    /// base or leading zeros; see SMPP.md §8.3).
    public var messageID: String
    /// Where ``messageID`` came from.
    public var messageIDOrigin: Origin
    /// The message's state: `message_state` when present, else the state the text's `stat:` word
    /// names; `nil` only for a non-standard word (see ``stat``).
    public var state: MessageState?
    /// Where ``state`` came from: `.tlv`, or `.text` (also when the word named no state).
    public var stateOrigin: Origin
    /// The `network_error_code` TLV, if present.
    public var networkErrorCode: NetworkErrorCode?
    /// Whether the PDU's esm_class marks an intermediate notification (0x20) rather than a final receipt.
    public var isIntermediate: Bool
    /// The receipt text's fields, `nil` when the user data is not receipt text. It may be partial
    /// (e.g. no `id:` when the TLVs carry it), and its values may disagree with the TLVs, which win.
    public var text: DeliveryReceipt?
    /// The PDU's vendor-specific TLVs (tags 0x1400–0x3FFF), in wire order.
    public var vendorTLVs: TLVs

    public init(
        messageID: String,
        messageIDOrigin: Origin,
        state: MessageState?,
        stateOrigin: Origin,
        networkErrorCode: NetworkErrorCode? = nil,
        isIntermediate: Bool = false,
        text: DeliveryReceipt? = nil,
        vendorTLVs: TLVs = []
    ) {
        self.messageID = messageID
        self.messageIDOrigin = messageIDOrigin
        self.state = state
        self.stateOrigin = stateOrigin
        self.networkErrorCode = networkErrorCode
        self.isIntermediate = isIntermediate
        self.text = text
        self.vendorTLVs = vendorTLVs
    }

    /// The state word: the TLV state's word when the TLV won, else the text's `stat:` as received
    /// (e.g. `NOROUTE`).
    public var stat: String? {
        switch self.stateOrigin {
        case .tlv: self.state?.receiptStat
        case .text: self.text?.stat
        }
    }

    /// The error code: the `network_error_code` TLV's code when present, else the text's numeric `err:`.
    public var errorCode: Int? {
        if let networkErrorCode { return Int(networkErrorCode.errorCode) }
        return self.text?.errorCode
    }

    /// The text's `sub:` count.
    public var submitted: Int? { self.text?.submitted }
    /// The text's `dlvrd:` count.
    public var delivered: Int? { self.text?.delivered }
    /// The text's `submit date:`, in the SMSC's (unstated) local time.
    public var submitDate: CivilDateTime? { self.text?.submitDate }
    /// The text's `done date:`, in the SMSC's (unstated) local time.
    public var doneDate: CivilDateTime? { self.text?.doneDate }
}

extension ReceiptInfo {
    /// Whether a PDU with this esm_class and these TLVs is a delivery receipt: the message type is
    /// a receipt or an intermediate notification, or — for SMSCs that leave esm_class at 0 — both
    /// `receipted_message_id` and `message_state` are present.
    static func isReceipt(esmClass: ESMClass, tlvs: TLVs) -> Bool {
        esmClass.isReceipt || (tlvs.contains(.receiptedMessageID) && tlvs.contains(.messageState))
    }

    /// Reads the receipt of a deliver_sm or data_sm, or `nil` when the PDU is not a receipt or
    /// lacks a message id or a state in both TLVs and text.
    init?(esmClass: ESMClass, dataCoding: DataCoding, userData: ByteBuffer, tlvs: TLVs) {
        guard Self.isReceipt(esmClass: esmClass, tlvs: tlvs) else { return nil }
        let fields = Self.textFields(esmClass: esmClass, dataCoding: dataCoding, userData: userData)
        let text = fields.map(DeliveryReceipt.init(raw:))

        let messageID: String
        let messageIDOrigin: Origin
        if let id = tlvs.receiptedMessageID, !id.isEmpty {
            (messageID, messageIDOrigin) = (id, .tlv)
        } else if let id = fields?.id, !id.isEmpty {
            (messageID, messageIDOrigin) = (id, .text)
        } else {
            return nil
        }

        let state: MessageState?
        let stateOrigin: Origin
        if let tlvState = tlvs.messageState {
            (state, stateOrigin) = (tlvState, .tlv)
        } else if let stat = fields?.stat, !stat.isEmpty {
            (state, stateOrigin) = (MessageState(receiptStat: stat), .text)
        } else {
            return nil
        }

        self.init(
            messageID: messageID,
            messageIDOrigin: messageIDOrigin,
            state: state,
            stateOrigin: stateOrigin,
            networkErrorCode: tlvs.networkErrorCode,
            isIntermediate: esmClass.messageType == ESMClass.intermediateNotification.rawValue,
            text: text,
            vendorTLVs: TLVs(tlvs.filter { $0.tag.isVendorSpecific })
        )
    }

    /// The receipt text's fields, skipping a User Data Header and decoding UCS-2, or `nil` when
    /// the user data is not receipt text.
    private static func textFields(
        esmClass: ESMClass,
        dataCoding: DataCoding,
        userData: ByteBuffer
    ) -> DeliveryReceipt.RawFields? {
        var data = userData
        if esmClass.hasUDHI, let headerLength = data.getInteger(at: data.readerIndex, as: UInt8.self) {
            guard data.readableBytes > Int(headerLength) else { return nil }
            data.moveReaderIndex(forwardBy: Int(headerLength) + 1)
        }
        guard dataCoding == .ucs2 else { return DeliveryReceipt.scanFields(data) }
        // Some SMSCs send the receipt in the original message's coding; UCS-2 is UTF-16BE in practice.
        var units: [UInt16] = []
        units.reserveCapacity(data.readableBytes / 2)
        while let unit = data.readInteger(as: UInt16.self) { units.append(unit) }
        return DeliveryReceipt.scanFields(String(decoding: units, as: UTF16.self))
    }
}
