public import NIOCore

// Interpretation of any data_coding value (SMPP.md §7.6):
//
// * 0x00–0x0F: SMPP 3.4's own table (0x00 SMSC default, 0x01 IA5, 0x02/0x04 binary, 0x03 Latin-1,
//   0x06 ISO-8859-5, 0x07 ISO-8859-8, 0x08 UCS-2; JIS, pictogram, ISO-2022-JP, Kanji, KS C 5601 and
//   the reserved values are unsupported).
// * 0x10–0x3F: GSM 03.38 group 00xx xxxx, general data coding: bit 5 compressed, bit 4 "bits 1–0
//   are a message class", bits 3–2 alphabet (GSM-7, 8-bit, UCS-2, reserved).
// * 0x40–0x7F: group 01xx xxxx, the same coding marked for automatic deletion (23.038 §4).
// * 0x80–0xBF: reserved coding groups, unsupported.
// * 0xC0–0xCF, 0xD0–0xDF: message waiting indication, discard / store, GSM-7 text.
// * 0xE0–0xEF: message waiting indication, store, UCS-2 text.
// * 0xF0–0xFF: data coding / message class: bit 2 GSM-7 or 8-bit, bits 1–0 the class.
//
// Compressed user data (23.042) is never decoded: its alphabet is reported as unsupported.

extension DataCoding {
    /// The character set of user data, as far as the gateway can decode it.
    public enum Alphabet: Hashable, Sendable {
        /// GSM 03.38 7-bit, one septet per octet (for 0x00: what the SMSC default means, usually this).
        case gsm7
        /// IA5 / US-ASCII.
        case ascii
        /// ISO-8859-1.
        case latin1
        /// 8-bit data, not text.
        case binary
        /// UCS-2, in practice UTF-16BE.
        case ucs2
        /// ISO-8859-5.
        case cyrillic
        /// ISO-8859-8.
        case hebrew
        /// An encoding the gateway does not decode (JIS, Kanji, KS C 5601, pictograms, compressed
        /// data, reserved values); carries the raw data_coding.
        case unsupported(UInt8)
    }

    /// A GSM 03.38 message waiting indication (data_coding 0xC0–0xEF).
    public struct MessageWaiting: Hashable, Sendable {
        /// What is waiting.
        public enum Kind: UInt8, Hashable, Sendable {
            case voicemail = 0
            case fax = 1
            case email = 2
            case other = 3
        }

        /// Whether the handset may store the message text (0xD0–0xEF) or should discard it (0xC0–0xCF).
        public var storesMessage: Bool
        /// Whether the indication is set (bit 3 = 1) rather than cleared.
        public var isActive: Bool
        /// What is waiting.
        public var kind: Kind

        public init(storesMessage: Bool, isActive: Bool, kind: Kind) {
            self.storesMessage = storesMessage
            self.isActive = isActive
            self.kind = kind
        }
    }

    /// The alphabet of the user data. 0x00 reports ``Alphabet/gsm7``; a connection whose SMSC treats
    /// 0x00 differently passes that to ``decodeText(_:smscDefault:)``.
    public var alphabet: Alphabet {
        let raw = self.rawValue
        switch raw {
        case 0x00: return .gsm7
        case 0x01: return .ascii
        case 0x02, 0x04: return .binary
        case 0x03: return .latin1
        case 0x06: return .cyrillic
        case 0x07: return .hebrew
        case 0x08: return .ucs2
        case 0x05, 0x09...0x0F: return .unsupported(raw)
        case 0x10...0x7F:
            if raw & 0x20 != 0 { return .unsupported(raw) }
            switch (raw >> 2) & 0x03 {
            case 0: return .gsm7
            case 1: return .binary
            case 2: return .ucs2
            default: return .unsupported(raw)
            }
        case 0xC0...0xDF: return .gsm7
        case 0xE0...0xEF: return .ucs2
        case 0xF0...0xFF: return raw & 0x04 == 0 ? .gsm7 : .binary
        default: return .unsupported(raw)
        }
    }

    /// The GSM message class 0–3 (0 = flash), when the value carries one: groups 00xx/01xx with
    /// bit 4 set, and 0xF0–0xFF.
    public var messageClass: UInt8? {
        switch self.rawValue {
        case 0x10...0x7F where self.rawValue & 0x10 != 0: self.rawValue & 0x03
        case 0xF0...0xFF: self.rawValue & 0x03
        default: nil
        }
    }

    /// Whether the user data is compressed (GSM 03.38 groups 00xx/01xx, bit 5).
    public var isCompressed: Bool {
        (0x10...0x7F).contains(self.rawValue) && self.rawValue & 0x20 != 0
    }

    /// Whether the message is marked for automatic deletion (GSM 03.38 group 01xx xxxx).
    public var isMarkedForAutomaticDeletion: Bool {
        (0x40...0x7F).contains(self.rawValue)
    }

    /// The message waiting indication of values 0xC0–0xEF.
    public var messageWaiting: MessageWaiting? {
        guard (0xC0...0xEF).contains(self.rawValue), let kind = MessageWaiting.Kind(rawValue: self.rawValue & 0x03)
        else { return nil }
        return MessageWaiting(storesMessage: self.rawValue >= 0xD0, isActive: self.rawValue & 0x08 != 0, kind: kind)
    }

    /// Decodes user data (without its UDH) as text, or returns `nil` for binary and unsupported
    /// alphabets.
    ///
    /// GSM-7 is expected unpacked (one septet per octet; unpack first otherwise). `smscDefault`
    /// says what data_coding 0x00 means on this connection: GSM-7 normally, Latin-1 or ASCII for
    /// SMSCs that use it so.
    public func decodeText(_ bytes: some Collection<UInt8>, smscDefault: TextEncoding = .gsm7) -> String? {
        if self.rawValue == 0x00 { return smscDefault.decode(bytes) }
        switch self.alphabet {
        case .gsm7: return TextEncoding.gsm7.decode(bytes)
        case .ascii: return TextEncoding.ascii.decode(bytes)
        case .latin1: return TextEncoding.latin1.decode(bytes)
        case .ucs2: return TextEncoding.ucs2.decode(bytes)
        case .cyrillic: return UTF8Scalars.withContiguousBytes(bytes) { CodePage.cyrillic.decode($0) }
        case .hebrew: return UTF8Scalars.withContiguousBytes(bytes) { CodePage.hebrew.decode($0) }
        case .binary, .unsupported: return nil
        }
    }

    /// Decodes the readable bytes of `buffer` as text; see ``decodeText(_:smscDefault:)``.
    public func decodeText(_ buffer: ByteBuffer, smscDefault: TextEncoding = .gsm7) -> String? {
        self.decodeText(buffer.readableBytesView, smscDefault: smscDefault)
    }

    /// The text encoding with this data_coding, when it is one the gateway sends.
    public var textEncoding: TextEncoding? {
        TextEncoding.allCases.first { $0.dataCoding == self }
    }
}
