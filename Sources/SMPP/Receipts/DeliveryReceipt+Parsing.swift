public import NIOCore

// Receipt text parsing: one pass over the UTF-8 octets, splitting on keys rather than on spaces.
//
// Grammar, as tolerated:
// - A key is a word at the start of the text or after white space, followed directly by `:`.
//   Words start with a letter and continue with letters, digits, `_` or `-`. Known keys match
//   case-insensitively: `id`, `sub`, `dlvrd`, `stat`, `err`, `text`, and the two-word keys
//   `submit date` / `done date`, whose words may be separated by any white space including line
//   breaks (`done\ndate:`), or written `submit_date` / `submitdate`.
// - A value runs from its key to the next key, trimmed of white space, so `sub: 001` and values
//   with inner spaces survive; a key right after another means an empty value (`err: text:`,
//   `rcn: rnet:`). Colons inside a value are kept (`id:ab:cd`): only a word after white space
//   can be a key.
// - `text:` takes everything after it to the end, verbatim (spaces, colons, other keys).
// - Trailing NUL octets (a C-string terminator some SMSCs include) are ignored.
// - The text must start, after white space, with a key, and contain at least one known key;
//   otherwise it is not a receipt. Unknown keys and repeated keys go to `additional`.
// Invalid UTF-8 in a value is replaced with U+FFFD; values are informational. The id is the
// exception: it decodes as C-Octet Strings do (`String(smppOctets:)`), so that it equals the
// message_id of the submit_sm_resp and the receipted_message_id TLV octet for octet.

extension DeliveryReceipt {
    /// Parses a receipt text; `nil` unless it starts with a key and has a non-empty `id` and `stat`.
    ///
    /// Every other field may be missing or malformed: the typed views then return `nil` while
    /// ``raw`` keeps what was there.
    public init?(parsing text: some StringProtocol) {
        guard let raw = Self.scanFields(text), let receipt = Self.complete(raw) else { return nil }
        self = receipt
    }

    /// Parses the readable octets of `buffer` (ASCII or UTF-8 receipt text), with the same rules as the `String` variant.
    public init?(parsing buffer: ByteBuffer) {
        guard let raw = Self.scanFields(buffer), let receipt = Self.complete(raw) else { return nil }
        self = receipt
    }

    private static func complete(_ raw: RawFields) -> DeliveryReceipt? {
        let receipt = DeliveryReceipt(raw: raw)
        return receipt.isComplete ? receipt : nil
    }

    /// The fields of a text that looks like a receipt, complete or not.
    static func scanFields(_ text: some StringProtocol) -> RawFields? {
        if let fields = text.utf8.withContiguousStorageIfAvailable({ Self.scan(UnsafeRawBufferPointer($0)) }) {
            return fields
        }
        return Array(text.utf8).withUnsafeBytes { Self.scan($0) }
    }

    /// The fields of receipt text in `buffer`'s readable octets, complete or not.
    static func scanFields(_ buffer: ByteBuffer) -> RawFields? {
        buffer.withUnsafeReadableBytes { Self.scan($0) }
    }

    private enum Key {
        case id, sub, dlvrd, submitDate, doneDate, stat, err, text
        case other
    }

    private struct KeyMatch {
        var key: Key
        /// Where the key's word starts (for unknown keys: the key as written is `start..<colon`).
        var start: Int
        var colon: Int
        var valueStart: Int { self.colon + 1 }
    }

    private static func scan(_ bytes: UnsafeRawBufferPointer) -> RawFields? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 { end -= 1 }
        var position = 0
        while position < end, isSpace(bytes[position]) { position += 1 }
        guard var current = matchKey(bytes, at: position, end: end) else { return nil }

        var fields = RawFields()
        var sawKnownKey = false
        while true {
            if current.key == .text {
                let value = string(bytes, current.valueStart, end)
                store(value, for: current, in: &fields, bytes: bytes)
                sawKnownKey = true
                break
            }
            position = current.valueStart
            while position < end, isSpace(bytes[position]) { position += 1 }
            let valueStart = position
            var valueEnd = position
            var next: KeyMatch? = nil
            if position > current.valueStart, let match = matchKey(bytes, at: position, end: end) {
                next = match  // `err: text:` — the value is empty
            } else {
                while position < end {
                    while position < end, !isSpace(bytes[position]) { position += 1 }
                    valueEnd = position
                    while position < end, isSpace(bytes[position]) { position += 1 }
                    if position < end, let match = matchKey(bytes, at: position, end: end) {
                        next = match
                        break
                    }
                }
            }
            let value =
                current.key == .id
                ? String(decodingSMPPOctets: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]))
                : string(bytes, valueStart, valueEnd)
            store(value, for: current, in: &fields, bytes: bytes)
            if current.key != .other { sawKnownKey = true }
            guard let next else { break }
            current = next
        }
        return sawKnownKey ? fields : nil
    }

    private static func store(
        _ value: String,
        for match: KeyMatch,
        in fields: inout RawFields,
        bytes: UnsafeRawBufferPointer
    ) {
        func put(_ field: inout String?) {
            if field == nil {
                field = value
            } else {
                fields.additional.append(AdditionalField(key: string(bytes, match.start, match.colon), value: value))
            }
        }
        switch match.key {
        case .id: put(&fields.id)
        case .sub: put(&fields.sub)
        case .dlvrd: put(&fields.dlvrd)
        case .submitDate: put(&fields.submitDate)
        case .doneDate: put(&fields.doneDate)
        case .stat: put(&fields.stat)
        case .err: put(&fields.err)
        case .text: put(&fields.text)
        case .other:
            fields.additional.append(AdditionalField(key: string(bytes, match.start, match.colon), value: value))
        }
    }

    /// The key starting at `start`, if a word followed by `:` (or `submit`/`done` + white space +
    /// `date:`) begins there.
    private static func matchKey(_ bytes: UnsafeRawBufferPointer, at start: Int, end: Int) -> KeyMatch? {
        guard start < end, isLetter(bytes[start]) else { return nil }
        var wordEnd = start + 1
        while wordEnd < end, isWordCharacter(bytes[wordEnd]) { wordEnd += 1 }
        if wordEnd < end, bytes[wordEnd] == UInt8(ascii: ":") {
            return KeyMatch(key: classify(bytes, start, wordEnd), start: start, colon: wordEnd)
        }
        let key: Key
        if equalsIgnoringCase(bytes, start, wordEnd, "submit") {
            key = .submitDate
        } else if equalsIgnoringCase(bytes, start, wordEnd, "done") {
            key = .doneDate
        } else {
            return nil
        }
        var dateStart = wordEnd
        while dateStart < end, isSpace(bytes[dateStart]) { dateStart += 1 }
        let colon = dateStart + 4
        guard dateStart > wordEnd, colon < end, bytes[colon] == UInt8(ascii: ":"),
            equalsIgnoringCase(bytes, dateStart, colon, "date")
        else { return nil }
        return KeyMatch(key: key, start: start, colon: colon)
    }

    private static func classify(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Key {
        switch end - start {
        case 2: if equalsIgnoringCase(bytes, start, end, "id") { return .id }
        case 3:
            if equalsIgnoringCase(bytes, start, end, "sub") { return .sub }
            if equalsIgnoringCase(bytes, start, end, "err") { return .err }
        case 4:
            if equalsIgnoringCase(bytes, start, end, "stat") { return .stat }
            if equalsIgnoringCase(bytes, start, end, "text") { return .text }
        case 5: if equalsIgnoringCase(bytes, start, end, "dlvrd") { return .dlvrd }
        case 8: if equalsIgnoringCase(bytes, start, end, "donedate") { return .doneDate }
        case 9: if equalsIgnoringCase(bytes, start, end, "done_date") { return .doneDate }
        case 10: if equalsIgnoringCase(bytes, start, end, "submitdate") { return .submitDate }
        case 11: if equalsIgnoringCase(bytes, start, end, "submit_date") { return .submitDate }
        default: break
        }
        return .other
    }

    /// Whether `bytes[start..<end]` equals the lower-case ASCII `literal`, ignoring the case of letters.
    @inline(__always)
    private static func equalsIgnoringCase(
        _ bytes: UnsafeRawBufferPointer,
        _ start: Int,
        _ end: Int,
        _ literal: StaticString
    ) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for offset in 0..<(end - start) {
            let byte = bytes[start + offset]
            let wanted = expected[offset]
            // Setting bit 5 folds A–Z onto a–z; `wanted` is never an upper-case letter.
            guard byte == wanted || byte | 0x20 == wanted else { return false }
        }
        return true
    }

    @inline(__always)
    private static func string(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26
    }

    @inline(__always)
    private static func isWordCharacter(_ byte: UInt8) -> Bool {
        isLetter(byte) || byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }
}
