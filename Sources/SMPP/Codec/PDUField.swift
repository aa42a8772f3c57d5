/// A mandatory PDU parameter, named as in the specification. Used by codec errors to say which
/// field was wrong and which `command_status` answers it.
public enum PDUField: String, Hashable, Sendable, CustomStringConvertible {
    case systemID = "system_id"
    case password
    case systemType = "system_type"
    case interfaceVersion = "interface_version"
    case addressRange = "address_range"
    case serviceType = "service_type"
    case sourceAddress = "source_addr"
    case destinationAddress = "destination_addr"
    case esmeAddress = "esme_addr"
    case addressTON = "addr_ton"
    case addressNPI = "addr_npi"
    case numberOfDestinations = "number_of_dests"
    case destinationFlag = "dest_flag"
    case distributionListName = "dl_name"
    case esmClass = "esm_class"
    case protocolID = "protocol_id"
    case priorityFlag = "priority_flag"
    case scheduleDeliveryTime = "schedule_delivery_time"
    case validityPeriod = "validity_period"
    case registeredDelivery = "registered_delivery"
    case replaceIfPresentFlag = "replace_if_present_flag"
    case dataCoding = "data_coding"
    case smDefaultMessageID = "sm_default_msg_id"
    case smLength = "sm_length"
    case shortMessage = "short_message"
    case messageID = "message_id"
    case numberOfUnsuccessful = "no_unsuccess"
    case errorStatusCode = "error_status_code"
    case finalDate = "final_date"
    case messageState = "message_state"
    case errorCode = "error_code"

    public var description: String { self.rawValue }

    /// The status an SMSC answers when this field of a request is malformed (SMPP 3.4 §5 and
    /// established practice): e.g. `ESME_RINVSRCADR` for `source_addr`, `ESME_RINVSCHED` for
    /// `schedule_delivery_time`, `ESME_RINVMSGLEN` for the short message.
    public var invalidStatus: CommandStatus {
        switch self {
        case .systemID: .invalidSystemID
        case .password: .invalidPassword
        case .systemType: .invalidSystemType
        case .serviceType: .invalidServiceType
        case .sourceAddress, .esmeAddress: .invalidSourceAddress
        case .destinationAddress: .invalidDestinationAddress
        case .numberOfDestinations: .invalidNumberOfDestinations
        case .destinationFlag: .invalidDestinationFlag
        case .distributionListName: .invalidDistributionListName
        case .scheduleDeliveryTime: .invalidScheduleDeliveryTime
        case .validityPeriod, .finalDate: .invalidValidityPeriod
        case .smLength, .shortMessage: .invalidMessageLength
        case .messageID: .invalidMessageID
        default: .invalidCommandLength
        }
    }
}
