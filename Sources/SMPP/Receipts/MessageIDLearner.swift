/// Learns, for ``MessageIDNormalizer/Mode/auto``, how an SMSC writes in its receipts the ids its
/// submit responses gave, from the receipts that matched; then looks receipts up in that form only.
///
/// `auto` tries the canonical form, then the id converted between decimal and hex. The conversions
/// can match the wrong message: a receipt that overtakes its submit response (`16`, not stored
/// yet) converts to the id of an older message (`10` in hex), which takes the receipt, and the
/// right message never gets it. An SMSC writes its ids one way, so once enough receipts matched in
/// one form and (almost) none in another, only that form is looked up: the receipt that overtook
/// its response waits for it instead.
public struct MessageIDLearner: Hashable, Sendable {
    /// The forms a receipt's id can take, as the modes that look it up that way.
    static let forms: [MessageIDNormalizer.Mode] = [.canonical, .receiptDecimal, .receiptHex]

    /// The key each form makes of a receipt's id (nil where it does not apply: a conversion of an
    /// id that is not a number in that base).
    static func keys(forReceipted id: String) -> [String?] {
        let canonical = MessageIDNormalizer.canonical(id)
        return [canonical, MessageIDNormalizer.decimalToHex(canonical), MessageIDNormalizer.hexToDecimal(canonical)]
    }

    /// Unambiguous matches needed before a form is taken for good.
    public var threshold: Int
    /// Matches per form (in the order of ``forms``), while still learning.
    private(set) var evidence = [0, 0, 0]
    /// The form taken, once learned.
    public private(set) var learned: MessageIDNormalizer.Mode?

    public init(threshold: Int = 20) {
        self.threshold = threshold
    }

    /// The normalizer to look receipts up with: `normalizer` itself while learning, or while its
    /// mode is not `auto`; the learned form's once known.
    public func normalizer(for normalizer: MessageIDNormalizer) -> MessageIDNormalizer {
        guard normalizer.mode == .auto, let learned = self.learned else { return normalizer }
        return MessageIDNormalizer(mode: learned)
    }

    /// A receipt whose id was `receiptedID` matched the part stored under `key`. Counts only when
    /// exactly one form gives that key (`7` is `7` in every form). Returns the form when this
    /// match decided it: one form has ``threshold`` matches and the others together fewer than one
    /// in twenty of that.
    @discardableResult
    public mutating func matched(receiptedID: String, key: String) -> MessageIDNormalizer.Mode? {
        guard self.learned == nil else { return nil }
        let keys = Self.keys(forReceipted: receiptedID)
        let giving = keys.indices.filter { keys[$0] == key }
        guard giving.count == 1, let form = giving.first else { return nil }
        self.evidence[form] += 1
        let others = self.evidence.reduce(0, +) - self.evidence[form]
        guard self.evidence[form] >= self.threshold, others * 20 < self.evidence[form] else { return nil }
        self.learned = Self.forms[form]
        return self.learned
    }
}
