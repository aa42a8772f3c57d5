/// Octets for PDUs the codec would refuse to write (malformed bodies, broken headers).
enum Wire {
    /// A big-endian 32-bit integer.
    static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// A PDU header; `length` is written as given, right or wrong.
    static func header(length: Int, commandID: UInt32, status: UInt32 = 0, sequenceNumber: UInt32) -> [UInt8] {
        u32(UInt32(length)) + u32(commandID) + u32(status) + u32(sequenceNumber)
    }
}
