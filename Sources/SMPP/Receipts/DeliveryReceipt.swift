/// The text of an SMSC delivery receipt (SMPP 3.4 Appendix B):
/// `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:EEE text:…`.
///
/// The fields are kept as the strings that were received (``raw``), so nothing is lost, and the
/// typed properties (``submitted``, ``submitDate``, ``state``, …) interpret them on access,
/// returning `nil` for a value they cannot read. Parsing tolerates what real SMSCs send (see
/// `DeliveryReceipt+Parsing.swift`); formatting writes the canonical form
/// (`DeliveryReceipt+Formatting.swift`).
///
/// The dates are wall-clock readings of the SMSC, whose time zone the receipt does not state;
/// they are therefore ``CivilDateTime`` values, not instants.
///
/// This is only the text. Whether a PDU is a receipt, and which values win when TLVs are present,
/// is decided by ``ReceiptInfo`` (`DeliverSM.deliveryReceipt`).
public struct DeliveryReceipt: Hashable, Sendable {
    /// The receipt's fields exactly as received: surrounding white space removed, `nil` when the
    /// key is absent. `text` is kept verbatim: everything after `text:` to the end.
    public struct RawFields: Hashable, Sendable {
        /// `id:` — the SMSC message id (any charset: decimal, hex, UUID, `-`, `_`).
        public var id: String?
        /// `sub:` — messages submitted, normally `001`.
        public var sub: String?
        /// `dlvrd:` — messages delivered, `001` or `000`.
        public var dlvrd: String?
        /// `submit date:` — 10, 12 or 14 digits in practice.
        public var submitDate: String?
        /// `done date:` — 10, 12 or 14 digits in practice.
        public var doneDate: String?
        /// `stat:` — a state word such as `DELIVRD`, or a non-standard one such as `NOROUTE`.
        public var stat: String?
        /// `err:` — 1–3 digits normally, sometimes alphanumeric.
        public var err: String?
        /// `text:` — the start of the original message, verbatim to the end of the receipt.
        public var text: String?
        /// Fields under other keys (e.g. `imsi:` in an HLR result) and repeats of known keys, in order.
        public var additional: [AdditionalField]

        public init(
            id: String? = nil,
            sub: String? = nil,
            dlvrd: String? = nil,
            submitDate: String? = nil,
            doneDate: String? = nil,
            stat: String? = nil,
            err: String? = nil,
            text: String? = nil,
            additional: [AdditionalField] = []
        ) {
            self.id = id
            self.sub = sub
            self.dlvrd = dlvrd
            self.submitDate = submitDate
            self.doneDate = doneDate
            self.stat = stat
            self.err = err
            self.text = text
            self.additional = additional
        }
    }

    /// A `key:value` pair the receipt format does not define, or a repeated key.
    public struct AdditionalField: Hashable, Sendable {
        /// The key as written, without the colon.
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The fields as received.
    public var raw: RawFields

    /// A receipt with these raw fields.
    public init(raw: RawFields) {
        self.raw = raw
    }

    /// A receipt from typed values, as an SMSC would produce it.
    ///
    /// - Parameters:
    ///   - id: the message id returned in submit_sm_resp.
    ///   - submitted: the `sub:` count (default 1).
    ///   - delivered: the `dlvrd:` count; by default 1 when `state` is delivered, else 0.
    ///   - submitDate: when the message was submitted, in the SMSC's local time.
    ///   - doneDate: when it reached `state`, in the SMSC's local time.
    ///   - state: written as its seven-letter word (`DELIVRD`, `UNDELIV`, …); a value without one
    ///     is written as `UNKNOWN`.
    ///   - error: the `err:` value (default `000`).
    ///   - text: the `text:` value, normally the first 20 characters of the message.
    public init(
        id: String,
        submitted: Int = 1,
        delivered: Int? = nil,
        submitDate: CivilDateTime?,
        doneDate: CivilDateTime?,
        state: MessageState,
        error: String = "000",
        text: String? = nil
    ) {
        self.raw = RawFields(
            id: id,
            sub: Self.paddedCount(submitted),
            dlvrd: Self.paddedCount(delivered ?? (state == .delivered ? 1 : 0)),
            submitDate: submitDate.map { Self.formatDate($0, digits: 12) },
            doneDate: doneDate.map { Self.formatDate($0, digits: 12) },
            stat: state.receiptStat ?? "UNKNOWN",
            err: error,
            text: text
        )
    }

    /// The message id, `nil` when the text has no `id:`.
    public var id: String? { self.raw.id }

    /// The `sub:` count, `nil` when absent or not a decimal number.
    public var submitted: Int? { self.raw.sub.flatMap(Self.decimal) }

    /// The `dlvrd:` count, `nil` when absent or not a decimal number.
    public var delivered: Int? { self.raw.dlvrd.flatMap(Self.decimal) }

    /// The `submit date:` in the SMSC's local time, `nil` when absent or not a valid
    /// `YYMMDDhhmm`, `YYMMDDhhmmss` or `YYYYMMDDhhmmss` (two-digit years are 2000–2099).
    public var submitDate: CivilDateTime? { self.raw.submitDate.flatMap(Self.parseDate) }

    /// The `done date:` in the SMSC's local time; read like ``submitDate``.
    public var doneDate: CivilDateTime? { self.raw.doneDate.flatMap(Self.parseDate) }

    /// The `stat:` word as received.
    public var stat: String? { self.raw.stat }

    /// The state the `stat:` word names (case-insensitive; `DELIVERED` etc. also accepted), `nil`
    /// for an absent or non-standard word such as `NOROUTE` (then see ``stat``).
    public var state: MessageState? { self.raw.stat.flatMap { MessageState(receiptStat: $0) } }

    /// The `err:` value as received.
    public var error: String? { self.raw.err }

    /// The `err:` value as a number, `nil` when absent or not decimal digits.
    public var errorCode: Int? { self.raw.err.flatMap(Self.decimal) }

    /// The `text:` value, verbatim.
    public var text: String? { self.raw.text }

    /// Whether the two fields every receipt needs, a non-empty `id` and `stat`, are present.
    public var isComplete: Bool {
        !(self.raw.id?.isEmpty ?? true) && !(self.raw.stat?.isEmpty ?? true)
    }
}

extension DeliveryReceipt {
    /// A non-negative decimal number of 1–9 digits (so it cannot overflow), else `nil`.
    static func decimal(_ text: String) -> Int? {
        var value = 0
        var count = 0
        for byte in text.utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, count < 9 else { return nil }
            value = value * 10 + Int(digit)
            count += 1
        }
        return count == 0 ? nil : value
    }

    /// `YYMMDDhhmm`, `YYMMDDhhmmss` or `YYYYMMDDhhmmss` as a valid date and time, else `nil`.
    static func parseDate(_ text: String) -> CivilDateTime? {
        var digits: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)  // up to 7 pairs
        var count = 0
        for byte in text.utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, count < 14 else { return nil }
            let value = Int(digit)
            switch count / 2 {
            case 0: digits.0 = digits.0 * 10 + value
            case 1: digits.1 = digits.1 * 10 + value
            case 2: digits.2 = digits.2 * 10 + value
            case 3: digits.3 = digits.3 * 10 + value
            case 4: digits.4 = digits.4 * 10 + value
            case 5: digits.5 = digits.5 * 10 + value
            default: digits.6 = digits.6 * 10 + value
            }
            count += 1
        }
        let date: CivilDateTime
        switch count {
        case 10:
            date = CivilDateTime(
                year: 2000 + digits.0,
                month: digits.1,
                day: digits.2,
                hour: digits.3,
                minute: digits.4
            )
        case 12:
            date = CivilDateTime(
                year: 2000 + digits.0,
                month: digits.1,
                day: digits.2,
                hour: digits.3,
                minute: digits.4,
                second: digits.5
            )
        case 14:
            date = CivilDateTime(
                year: digits.0 * 100 + digits.1,
                month: digits.2,
                day: digits.3,
                hour: digits.4,
                minute: digits.5,
                second: digits.6
            )
        default:
            return nil
        }
        return date.isValid ? date : nil
    }

    /// `YYMMDDhhmm` (10 digits), `YYMMDDhhmmss` (12) or `YYYYMMDDhhmmss` (14). Two-digit years are
    /// the year modulo 100.
    static func formatDate(_ date: CivilDateTime, digits: Int) -> String {
        var out = ""
        out.reserveCapacity(digits)
        if digits == 14 {
            appendDecimal(date.year, width: 4, to: &out)
        } else {
            appendDecimal((date.year % 100 + 100) % 100, width: 2, to: &out)
        }
        appendDecimal(date.month, width: 2, to: &out)
        appendDecimal(date.day, width: 2, to: &out)
        appendDecimal(date.hour, width: 2, to: &out)
        appendDecimal(date.minute, width: 2, to: &out)
        if digits != 10 { appendDecimal(date.second, width: 2, to: &out) }
        return out
    }

    /// A count zero-padded to three digits (`%03d`).
    static func paddedCount(_ count: Int) -> String {
        var out = ""
        appendDecimal(count, width: 3, to: &out)
        return out
    }
}
