public import SMPP

/// Something an SMSC sent: a delivery receipt, a mobile-originated message, or an alert.
///
/// Receipts and messages must be acknowledged (``InboundAcknowledgement/acknowledge(_:)``) once the
/// application has stored what they carry: only then does the SMSC get its deliver_sm_resp. If no
/// acknowledgement comes within the connector's `inboundAcknowledgementTimeout`, the connector
/// answers ESME_RX_T_APPN so the SMSC delivers it again — nothing is lost.
public struct InboundEvent: Sendable {
    public enum Kind: Sendable {
        /// A delivery receipt (final or intermediate), TLVs and text merged.
        case receipt(ReceiptInfo)
        /// A mobile-originated message (or one part of it).
        case message
        /// A PDU marked as a receipt that names no message id or state: acknowledge it, nothing else.
        case unreadableReceipt
        /// alert_notification: a handset became reachable (no acknowledgement needed).
        case alert(AlertNotification)
    }

    /// The connector's name.
    public var connector: String
    /// The session it arrived on.
    public var session: Int
    /// The connection it arrived on: drawn at random for each connection (a session's slot gets a
    /// new one at every reconnect), so it tells connections apart across reconnects and instances.
    public var connection: UInt64
    public var kind: Kind
    /// The PDU as received: deliver_sm, data_sm or alert_notification.
    public var frame: SMPPFrame
    /// `nil` for alerts.
    public var acknowledgement: InboundAcknowledgement?
    /// For receipts: the keys to look the receipted message id up under (see ``MessageIDNormalizer``).
    public var messageIDCandidates: [String]
    /// How the connector reads data_coding 0.
    public var smscDefaultAlphabet: TextEncoding

    /// The text of a message (or part), its User Data Header removed; `nil` for binary data or alerts.
    public var text: String? {
        guard let message = self.message else { return nil }
        var userData = message.userData
        if message.esmClass.hasUDHI {
            guard let split = try? UserDataHeader.split(userData) else { return nil }
            userData = split.rest
        }
        return message.dataCoding.decodeText(userData, smscDefault: self.smscDefaultAlphabet)
    }

    /// The message as a deliver_sm body (a data_sm is presented in the same shape, its user data in
    /// `message_payload`); `nil` for alerts.
    public var message: ShortMessage? {
        switch self.frame.pdu {
        case .deliverSM(let message): message
        case .dataSM(let data):
            ShortMessage(
                serviceType: data.serviceType,
                source: data.source,
                destination: data.destination,
                esmClass: data.esmClass,
                registeredDelivery: data.registeredDelivery,
                dataCoding: data.dataCoding,
                tlvs: data.tlvs
            )
        default: nil
        }
    }
}

/// Answers one inbound deliver_sm / data_sm. Only the first call counts.
public struct InboundAcknowledgement: Sendable {
    let session: ClientSessionHandle
    let sequenceNumber: UInt32

    /// Sends the response: `.ok` when stored; a temporary error (ESME_RX_T_APPN, ESME_RSYSERR) makes the
    /// SMSC try again later; a permanent one (ESME_RX_P_APPN) makes it give up.
    public func acknowledge(_ status: CommandStatus = .ok) {
        self.session.acknowledge(sequenceNumbers: [self.sequenceNumber], status: status)
    }
}

extension Sequence<InboundAcknowledgement> {
    /// Sends every response, with the same status: one hand-over to each session's event loop for
    /// all of its responses (and one write), instead of one per response.
    public func acknowledge(_ status: CommandStatus = .ok) {
        var bySession: [ObjectIdentifier: (session: ClientSessionHandle, sequenceNumbers: [UInt32])] = [:]
        for acknowledgement in self {
            bySession[ObjectIdentifier(acknowledgement.session), default: (acknowledgement.session, [])]
                .sequenceNumbers.append(acknowledgement.sequenceNumber)
        }
        for (session, sequenceNumbers) in bySession.values {
            session.acknowledge(sequenceNumbers: sequenceNumbers, status: status)
        }
    }
}
