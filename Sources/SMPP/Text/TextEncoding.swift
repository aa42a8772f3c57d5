/// A character encoding the gateway can send text in, with its SMPP `data_coding` value.
///
/// A character that does not fit the chosen encoding is an error (``TextEncodingError``), never a
/// silent "?". Pick ``automatic(for:)`` to send GSM-7 when every character fits and UCS-2 otherwise.
public enum TextEncoding: String, CaseIterable, Hashable, Sendable {
    /// GSM 03.38 default alphabet and extension table, unpacked (data_coding 0x00).
    case gsm7
    /// IA5 / US-ASCII (data_coding 0x01).
    case ascii
    /// ISO-8859-1 (data_coding 0x03).
    case latin1
    /// UCS-2, sent as UTF-16BE with surrogate pairs (data_coding 0x08).
    case ucs2

    /// The `data_coding` value that announces this encoding.
    public var dataCoding: DataCoding {
        switch self {
        case .gsm7: .smscDefault
        case .ascii: .ia5
        case .latin1: .latin1
        case .ucs2: .ucs2
        }
    }

    /// A readable name, for errors and logs.
    public var name: String {
        switch self {
        case .gsm7: "GSM 03.38 7-bit"
        case .ascii: "IA5/ASCII"
        case .latin1: "Latin-1 (ISO-8859-1)"
        case .ucs2: "UCS-2 (UTF-16BE)"
        }
    }

    /// The octets one unit of ``unitCount(of:)`` takes in `short_message`: 1, or 2 for UCS-2.
    public var octetsPerUnit: Int {
        self == .ucs2 ? 2 : 1
    }

    /// Encodes text: unpacked septets for GSM-7, one octet per character for ASCII and Latin-1,
    /// UTF-16BE for UCS-2.
    ///
    /// - Throws: ``TextEncodingError`` naming the first character the encoding cannot represent
    ///   (never for UCS-2).
    public func encode(_ text: String) throws(TextEncodingError) -> [UInt8] {
        switch self {
        case .gsm7:
            return try GSM7.septets(from: text)
        case .ucs2:
            return UCS2.encode(text)
        case .ascii, .latin1:
            switch self.codePage.encode(text) {
            case .success(let bytes): return bytes
            case .failure(let mismatch):
                throw TextEncodingError(encoding: self, character: mismatch.character, characterOffset: mismatch.offset)
            }
        }
    }

    /// Decodes octets in this encoding. Never fails: undefined codes decode as U+FFFD (GSM-7
    /// decoding is lenient, see ``GSM7/string(fromSeptets:)``).
    public func decode(_ bytes: some Collection<UInt8>) -> String {
        switch self {
        case .gsm7: GSM7.string(fromSeptets: bytes)
        case .ucs2: UCS2.decode(bytes)
        case .ascii, .latin1: UTF8Scalars.withContiguousBytes(bytes) { self.codePage.decode($0) }
        }
    }

    /// The length of `text` in this encoding's units — septets (an extension character counts
    /// two), octets, or UTF-16 code units — or `nil` when a character does not fit.
    public func unitCount(of text: String) -> Int? {
        switch self {
        case .gsm7: GSM7.septetCount(of: text)
        case .ucs2: UCS2.unitCount(of: text)
        case .ascii, .latin1: self.codePage.count(text)
        }
    }

    /// Whether every character of `text` fits this encoding.
    public func canEncode(_ text: String) -> Bool {
        self.unitCount(of: text) != nil
    }

    /// GSM-7 when every character of `text` fits the GSM 03.38 alphabet, else UCS-2.
    public static func automatic(for text: String) -> TextEncoding {
        GSM7.canEncode(text) ? .gsm7 : .ucs2
    }

    private var codePage: CodePage {
        self == .ascii ? .ascii : .latin1
    }
}
