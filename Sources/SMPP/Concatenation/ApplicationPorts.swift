/// Application port addressing (UDH IEI 0x04 with 8-bit ports, 0x05 with 16-bit ports), as used by
/// WAP push and other port-addressed SMS.
public struct ApplicationPorts: Hashable, Sendable {
    /// The port of the receiving application.
    public var destination: UInt16
    /// The port of the sending application.
    public var originator: UInt16
    /// Whether the ports travel as 16-bit values (IEI 0x05) rather than 8-bit ones (IEI 0x04).
    public var is16Bit: Bool

    public init(destination: UInt16, originator: UInt16, is16Bit: Bool = true) {
        self.destination = destination
        self.originator = originator
        self.is16Bit = is16Bit
    }
}
