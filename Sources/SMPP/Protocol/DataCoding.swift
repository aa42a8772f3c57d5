/// `data_coding`: the alphabet (and, for GSM DCS values, the message class) of the user data.
///
/// Values 0x00–0x0E have SMPP's own meanings; others follow GSM 03.38. See `DataCoding+Alphabet.swift`
/// for the interpretation.
public struct DataCoding: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SMSC default alphabet; in practice GSM 03.38 7-bit, one septet per octet.
    public static let smscDefault = DataCoding(rawValue: 0x00)
    /// IA5 / ASCII.
    public static let ia5 = DataCoding(rawValue: 0x01)
    /// Octet unspecified (8-bit binary), TDMA/CDMA.
    public static let binaryTDMA = DataCoding(rawValue: 0x02)
    /// ISO-8859-1.
    public static let latin1 = DataCoding(rawValue: 0x03)
    /// Octet unspecified (8-bit binary), all technologies.
    public static let binary = DataCoding(rawValue: 0x04)
    public static let jis = DataCoding(rawValue: 0x05)
    /// ISO-8859-5.
    public static let cyrillic = DataCoding(rawValue: 0x06)
    /// ISO-8859-8.
    public static let latinHebrew = DataCoding(rawValue: 0x07)
    /// UCS-2; in practice UTF-16BE.
    public static let ucs2 = DataCoding(rawValue: 0x08)
    public static let pictogram = DataCoding(rawValue: 0x09)
    public static let iso2022JP = DataCoding(rawValue: 0x0A)
    public static let extendedKanjiJIS = DataCoding(rawValue: 0x0D)
    public static let ksc5601 = DataCoding(rawValue: 0x0E)
}
