/// The `network_error_code` TLV value: a network type and an error code of that network.
public struct NetworkErrorCode: Hashable, Sendable {
    /// The network type: 1 ANSI-136, 2 IS-95, 3 GSM; 4–8 added by SMPP 5.0 (7 = an SMPP command_status).
    public var networkType: UInt8
    /// The error code, big-endian on the wire.
    public var errorCode: UInt16

    public init(networkType: UInt8, errorCode: UInt16) {
        self.networkType = networkType
        self.errorCode = errorCode
    }

    public static let ansi136: UInt8 = 1
    public static let is95: UInt8 = 2
    public static let gsm: UInt8 = 3
    public static let smpp: UInt8 = 7

    /// A GSM (MAP) error code.
    public static func gsm(_ errorCode: UInt16) -> NetworkErrorCode {
        NetworkErrorCode(networkType: gsm, errorCode: errorCode)
    }
}
