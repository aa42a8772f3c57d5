/// The 16-octet header of every PDU, as read from the wire.
public struct PDUHeader: Hashable, Sendable {
    /// Total PDU length in octets, including the header.
    public var commandLength: UInt32
    public var commandID: CommandID
    public var commandStatus: CommandStatus
    public var sequenceNumber: UInt32

    /// The size of the header in octets.
    public static let size = 16

    public init(commandLength: UInt32, commandID: CommandID, commandStatus: CommandStatus, sequenceNumber: UInt32) {
        self.commandLength = commandLength
        self.commandID = commandID
        self.commandStatus = commandStatus
        self.sequenceNumber = sequenceNumber
    }
}
