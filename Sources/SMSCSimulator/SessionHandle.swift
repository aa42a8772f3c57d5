internal import NIOCore
public import SMPP

/// A way to reach a session from any thread: every call hops to the session's event loop.
final class SessionHandle: Sendable {
    let id: Int
    let eventLoop: any EventLoop
    private let session: NIOLoopBound<SMSCSession>

    init(id: Int, session: SMSCSession, eventLoop: any EventLoop) {
        self.id = id
        self.eventLoop = eventLoop
        self.session = NIOLoopBound(session, eventLoop: eventLoop)
    }

    func deliver(_ delivery: Delivery) {
        if self.eventLoop.inEventLoop {
            self.session.value.deliver(delivery)
        } else {
            self.eventLoop.execute { self.session.value.deliver(delivery) }
        }
    }

    /// Closes the connection (without unbind), e.g. when a newer bind of the same login replaces it.
    func close() {
        self.eventLoop.execute { self.session.value.close() }
    }

    /// Sends unbind and closes once it is answered.
    func unbind() {
        self.eventLoop.execute { self.session.value.unbind() }
    }

    func snapshot() -> EventLoopFuture<SessionInfo> {
        self.eventLoop.submit { self.session.value.snapshot() }
    }
}

/// A connected session, as the control API shows it.
public struct SessionInfo: Sendable, Hashable, Codable {
    public var id: Int
    public var systemID: String?
    public var bindType: BindType?
    /// `OPEN`, `BOUND_TRX`, …
    public var state: String
    public var remoteAddress: String
    public var connectedAt: String
    public var interfaceVersion: UInt8?
    public var pdusReceived: Int
    public var pdusSent: Int
    /// deliver_sm sent and not yet answered.
    public var outstandingDeliveries: Int

    enum CodingKeys: String, CodingKey {
        case id
        case systemID = "system_id"
        case bindType = "bind_type"
        case state
        case remoteAddress = "remote_address"
        case connectedAt = "connected_at"
        case interfaceVersion = "interface_version"
        case pdusReceived = "pdus_received"
        case pdusSent = "pdus_sent"
        case outstandingDeliveries = "outstanding_deliveries"
    }
}

