extension PDU {
    /// The response to send with an error status to a request with this command id: its own
    /// `*_resp` with an empty body (omitted on the wire where the specification omits it), or
    /// `generic_nack` for a request that has no response of its own (unknown ids, outbind,
    /// alert_notification). `nil` for a response id, which is never answered.
    public static func errorResponse(to commandID: CommandID) -> PDU? {
        guard !commandID.isResponse else { return nil }
        switch commandID {
        case .bindTransmitter: return .bindTransmitterResp(BindResponse(systemID: ""))
        case .bindReceiver: return .bindReceiverResp(BindResponse(systemID: ""))
        case .bindTransceiver: return .bindTransceiverResp(BindResponse(systemID: ""))
        case .submitSM: return .submitSMResp(SubmitSMResponse())
        case .deliverSM: return .deliverSMResp(DeliverSMResponse())
        case .dataSM: return .dataSMResp(DataSMResponse())
        case .submitMulti: return .submitMultiResp(SubmitMultiResponse())
        case .querySM: return .querySMResp(QuerySMResponse(messageID: "", messageState: .unknown))
        case .cancelSM: return .cancelSMResp
        case .replaceSM: return .replaceSMResp
        case .unbind: return .unbindResp
        case .enquireLink: return .enquireLinkResp
        default: return .genericNack
        }
    }
}
