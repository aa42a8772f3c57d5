/// The data_coding values sent for each alphabet, and how inbound data_coding 0 is read.
public struct DataCodings: Sendable, Hashable {
    /// Default 0 (SMSC default alphabet = GSM 03.38).
    public var gsm7: DataCoding = .smscDefault
    /// Default 1 (IA5).
    public var ascii: DataCoding = .ia5
    /// Default 3.
    public var latin1: DataCoding = .latin1
    /// Default 8.
    public var ucs2: DataCoding = .ucs2
    /// How inbound data_coding 0 is read. Default GSM-7; some SMSCs mean Latin-1 or ASCII.
    public var smscDefaultAlphabet: TextEncoding = .gsm7

    public init() {}

    public func dataCoding(for encoding: TextEncoding) -> DataCoding {
        switch encoding {
        case .gsm7: self.gsm7
        case .ascii: self.ascii
        case .latin1: self.latin1
        case .ucs2: self.ucs2
        }
    }
}
