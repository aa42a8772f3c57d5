public import NIOCore

/// A PDU whose `command_id` SMPP 3.4 does not define, kept with its raw body so that the session
/// can answer `generic_nack` with ``CommandStatus/invalidCommandID`` and carry on.
public struct UnknownPDU: Hashable, Sendable {
    public var commandID: CommandID
    /// The octets after the header, unparsed.
    public var body: ByteBuffer

    public init(commandID: CommandID, body: ByteBuffer = ByteBuffer()) {
        self.commandID = commandID
        self.body = body
    }
}
