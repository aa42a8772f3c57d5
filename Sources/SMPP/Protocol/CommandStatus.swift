/// The `command_status` of an SMPP PDU: `0` in requests, the result of the operation in responses.
///
/// Every value of the SMPP 3.4 and 5.0 tables has a constant with its specification name and a
/// description; reserved and vendor-specific values (e.g. `0x400`–`0x4FF`) are kept as numbers.
public struct CommandStatus: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// `ESME_ROK`: success.
    @inlinable
    public var isSuccess: Bool { self.rawValue == 0 }

    /// The specification name (e.g. `ESME_RTHROTTLED`), or `nil` for a reserved or vendor value.
    public var name: String? { Self.table[self.rawValue]?.name }

    /// A short human-readable explanation. Reserved and vendor values get a description of their range.
    public var explanation: String {
        if let entry = Self.table[self.rawValue] { return entry.description }
        switch self.rawValue {
        case 0x400...0x4FF: return "SMSC vendor-specific error"
        case 0x100...0x3FF: return "Reserved for SMPP extension"
        default: return "Reserved"
        }
    }

    /// Whether the error is usually temporary, so the same request may succeed later
    /// (system error, queue full, throttling, temporary application error, delivery failure of
    /// a transaction-mode message is not). Practice from established gateways; see docs/ARCHITECTURE.md.
    public var isTemporary: Bool {
        switch self {
        case .systemError, .messageQueueFull, .throttled, .temporaryAppError: true
        default: false
        }
    }

    /// Whether this is a bind failure that new credentials would be needed to fix
    /// (wrong password, system_id, system_type, or a generic bind failure).
    public var isCredentialError: Bool {
        switch self {
        case .bindFailed, .invalidPassword, .invalidSystemID, .invalidSystemType: true
        default: false
        }
    }
}

extension CommandStatus {
    public static let ok = CommandStatus(rawValue: 0x0000_0000)
    public static let invalidMessageLength = CommandStatus(rawValue: 0x0000_0001)
    public static let invalidCommandLength = CommandStatus(rawValue: 0x0000_0002)
    public static let invalidCommandID = CommandStatus(rawValue: 0x0000_0003)
    public static let invalidBindStatus = CommandStatus(rawValue: 0x0000_0004)
    public static let alreadyBound = CommandStatus(rawValue: 0x0000_0005)
    public static let invalidPriorityFlag = CommandStatus(rawValue: 0x0000_0006)
    public static let invalidRegisteredDelivery = CommandStatus(rawValue: 0x0000_0007)
    public static let systemError = CommandStatus(rawValue: 0x0000_0008)
    public static let invalidSourceAddress = CommandStatus(rawValue: 0x0000_000A)
    public static let invalidDestinationAddress = CommandStatus(rawValue: 0x0000_000B)
    public static let invalidMessageID = CommandStatus(rawValue: 0x0000_000C)
    public static let bindFailed = CommandStatus(rawValue: 0x0000_000D)
    public static let invalidPassword = CommandStatus(rawValue: 0x0000_000E)
    public static let invalidSystemID = CommandStatus(rawValue: 0x0000_000F)
    public static let cancelFailed = CommandStatus(rawValue: 0x0000_0011)
    public static let replaceFailed = CommandStatus(rawValue: 0x0000_0013)
    public static let messageQueueFull = CommandStatus(rawValue: 0x0000_0014)
    public static let invalidServiceType = CommandStatus(rawValue: 0x0000_0015)
    public static let invalidNumberOfDestinations = CommandStatus(rawValue: 0x0000_0033)
    public static let invalidDistributionListName = CommandStatus(rawValue: 0x0000_0034)
    public static let invalidDestinationFlag = CommandStatus(rawValue: 0x0000_0040)
    public static let invalidSubmitWithReplace = CommandStatus(rawValue: 0x0000_0042)
    public static let invalidESMClass = CommandStatus(rawValue: 0x0000_0043)
    public static let cannotSubmitToDistributionList = CommandStatus(rawValue: 0x0000_0044)
    public static let submitFailed = CommandStatus(rawValue: 0x0000_0045)
    public static let invalidSourceTON = CommandStatus(rawValue: 0x0000_0048)
    public static let invalidSourceNPI = CommandStatus(rawValue: 0x0000_0049)
    public static let invalidDestinationTON = CommandStatus(rawValue: 0x0000_0050)
    public static let invalidDestinationNPI = CommandStatus(rawValue: 0x0000_0051)
    public static let invalidSystemType = CommandStatus(rawValue: 0x0000_0053)
    public static let invalidReplaceIfPresentFlag = CommandStatus(rawValue: 0x0000_0054)
    public static let invalidNumberOfMessages = CommandStatus(rawValue: 0x0000_0055)
    public static let throttled = CommandStatus(rawValue: 0x0000_0058)
    public static let invalidScheduleDeliveryTime = CommandStatus(rawValue: 0x0000_0061)
    public static let invalidValidityPeriod = CommandStatus(rawValue: 0x0000_0062)
    public static let invalidPredefinedMessage = CommandStatus(rawValue: 0x0000_0063)
    public static let temporaryAppError = CommandStatus(rawValue: 0x0000_0064)
    public static let permanentAppError = CommandStatus(rawValue: 0x0000_0065)
    public static let rejectedAppError = CommandStatus(rawValue: 0x0000_0066)
    public static let queryFailed = CommandStatus(rawValue: 0x0000_0067)
    public static let invalidOptionalParameterStream = CommandStatus(rawValue: 0x0000_00C0)
    public static let optionalParameterNotAllowed = CommandStatus(rawValue: 0x0000_00C1)
    public static let invalidParameterLength = CommandStatus(rawValue: 0x0000_00C2)
    public static let missingOptionalParameter = CommandStatus(rawValue: 0x0000_00C3)
    public static let invalidOptionalParameterValue = CommandStatus(rawValue: 0x0000_00C4)
    public static let deliveryFailure = CommandStatus(rawValue: 0x0000_00FE)
    public static let unknownError = CommandStatus(rawValue: 0x0000_00FF)
    // SMPP 5.0
    public static let serviceTypeUnauthorized = CommandStatus(rawValue: 0x0000_0100)
    public static let prohibited = CommandStatus(rawValue: 0x0000_0101)
    public static let serviceTypeUnavailable = CommandStatus(rawValue: 0x0000_0102)
    public static let serviceTypeDenied = CommandStatus(rawValue: 0x0000_0103)
    public static let invalidDataCoding = CommandStatus(rawValue: 0x0000_0104)
    public static let invalidSourceAddressSubunit = CommandStatus(rawValue: 0x0000_0105)
    public static let invalidDestinationAddressSubunit = CommandStatus(rawValue: 0x0000_0106)
    public static let invalidBroadcastFrequencyInterval = CommandStatus(rawValue: 0x0000_0107)
    public static let invalidBroadcastAliasName = CommandStatus(rawValue: 0x0000_0108)
    public static let invalidBroadcastAreaFormat = CommandStatus(rawValue: 0x0000_0109)
    public static let invalidNumberOfBroadcastAreas = CommandStatus(rawValue: 0x0000_010A)
    public static let invalidBroadcastContentType = CommandStatus(rawValue: 0x0000_010B)
    public static let invalidBroadcastMessageClass = CommandStatus(rawValue: 0x0000_010C)
    public static let broadcastFailed = CommandStatus(rawValue: 0x0000_010D)
    public static let broadcastQueryFailed = CommandStatus(rawValue: 0x0000_010E)
    public static let broadcastCancelFailed = CommandStatus(rawValue: 0x0000_010F)
    public static let invalidBroadcastRepetitions = CommandStatus(rawValue: 0x0000_0110)
    public static let invalidBroadcastServiceGroup = CommandStatus(rawValue: 0x0000_0111)
    public static let invalidBroadcastChannelIndicator = CommandStatus(rawValue: 0x0000_0112)
}

extension CommandStatus {
    /// One defined value of the specification's table.
    public struct Definition: Sendable, Hashable {
        public let status: CommandStatus
        public let name: String
        public let description: String
    }

    /// Every defined value (48 from SMPP 3.4, 19 added by SMPP 5.0), in numeric order.
    public static let allDefined: [Definition] = [
        .init(status: .ok, name: "ESME_ROK", description: "No error"),
        .init(status: .invalidMessageLength, name: "ESME_RINVMSGLEN", description: "Message length is invalid"),
        .init(status: .invalidCommandLength, name: "ESME_RINVCMDLEN", description: "Command length is invalid"),
        .init(status: .invalidCommandID, name: "ESME_RINVCMDID", description: "Invalid command ID"),
        .init(
            status: .invalidBindStatus,
            name: "ESME_RINVBNDSTS",
            description: "Incorrect bind status for given command"
        ),
        .init(status: .alreadyBound, name: "ESME_RALYBND", description: "ESME already in bound state"),
        .init(status: .invalidPriorityFlag, name: "ESME_RINVPRTFLG", description: "Invalid priority flag"),
        .init(
            status: .invalidRegisteredDelivery,
            name: "ESME_RINVREGDLVFLG",
            description: "Invalid registered delivery flag"
        ),
        .init(status: .systemError, name: "ESME_RSYSERR", description: "System error"),
        .init(status: .invalidSourceAddress, name: "ESME_RINVSRCADR", description: "Invalid source address"),
        .init(status: .invalidDestinationAddress, name: "ESME_RINVDSTADR", description: "Invalid destination address"),
        .init(status: .invalidMessageID, name: "ESME_RINVMSGID", description: "Message ID is invalid"),
        .init(status: .bindFailed, name: "ESME_RBINDFAIL", description: "Bind failed"),
        .init(status: .invalidPassword, name: "ESME_RINVPASWD", description: "Invalid password"),
        .init(status: .invalidSystemID, name: "ESME_RINVSYSID", description: "Invalid system ID"),
        .init(status: .cancelFailed, name: "ESME_RCANCELFAIL", description: "Cancel SM failed"),
        .init(status: .replaceFailed, name: "ESME_RREPLACEFAIL", description: "Replace SM failed"),
        .init(status: .messageQueueFull, name: "ESME_RMSGQFUL", description: "Message queue full"),
        .init(status: .invalidServiceType, name: "ESME_RINVSERTYP", description: "Invalid service type"),
        .init(
            status: .invalidNumberOfDestinations,
            name: "ESME_RINVNUMDESTS",
            description: "Invalid number of destinations"
        ),
        .init(
            status: .invalidDistributionListName,
            name: "ESME_RINVDLNAME",
            description: "Invalid distribution list name"
        ),
        .init(
            status: .invalidDestinationFlag,
            name: "ESME_RINVDESTFLAG",
            description: "Destination flag is invalid (submit_multi)"
        ),
        .init(
            status: .invalidSubmitWithReplace,
            name: "ESME_RINVSUBREP",
            description: "Invalid 'submit with replace' request"
        ),
        .init(status: .invalidESMClass, name: "ESME_RINVESMCLASS", description: "Invalid esm_class field data"),
        .init(
            status: .cannotSubmitToDistributionList,
            name: "ESME_RCNTSUBDL",
            description: "Cannot submit to distribution list"
        ),
        .init(status: .submitFailed, name: "ESME_RSUBMITFAIL", description: "submit_sm or submit_multi failed"),
        .init(status: .invalidSourceTON, name: "ESME_RINVSRCTON", description: "Invalid source address TON"),
        .init(status: .invalidSourceNPI, name: "ESME_RINVSRCNPI", description: "Invalid source address NPI"),
        .init(status: .invalidDestinationTON, name: "ESME_RINVDSTTON", description: "Invalid destination address TON"),
        .init(status: .invalidDestinationNPI, name: "ESME_RINVDSTNPI", description: "Invalid destination address NPI"),
        .init(status: .invalidSystemType, name: "ESME_RINVSYSTYP", description: "Invalid system_type field"),
        .init(
            status: .invalidReplaceIfPresentFlag,
            name: "ESME_RINVREPFLAG",
            description: "Invalid replace_if_present flag"
        ),
        .init(status: .invalidNumberOfMessages, name: "ESME_RINVNUMMSGS", description: "Invalid number of messages"),
        .init(
            status: .throttled,
            name: "ESME_RTHROTTLED",
            description: "Throttling error (ESME has exceeded allowed message limits)"
        ),
        .init(
            status: .invalidScheduleDeliveryTime,
            name: "ESME_RINVSCHED",
            description: "Invalid scheduled delivery time"
        ),
        .init(
            status: .invalidValidityPeriod,
            name: "ESME_RINVEXPIRY",
            description: "Invalid message validity period (expiry time)"
        ),
        .init(
            status: .invalidPredefinedMessage,
            name: "ESME_RINVDFTMSGID",
            description: "Predefined message invalid or not found"
        ),
        .init(
            status: .temporaryAppError,
            name: "ESME_RX_T_APPN",
            description: "ESME receiver temporary application error code"
        ),
        .init(
            status: .permanentAppError,
            name: "ESME_RX_P_APPN",
            description: "ESME receiver permanent application error code"
        ),
        .init(
            status: .rejectedAppError,
            name: "ESME_RX_R_APPN",
            description: "ESME receiver reject message error code"
        ),
        .init(status: .queryFailed, name: "ESME_RQUERYFAIL", description: "query_sm request failed"),
        .init(
            status: .invalidOptionalParameterStream,
            name: "ESME_RINVOPTPARSTREAM",
            description: "Error in the optional part of the PDU body"
        ),
        .init(
            status: .optionalParameterNotAllowed,
            name: "ESME_ROPTPARNOTALLWD",
            description: "Optional parameter not allowed"
        ),
        .init(status: .invalidParameterLength, name: "ESME_RINVPARLEN", description: "Invalid parameter length"),
        .init(
            status: .missingOptionalParameter,
            name: "ESME_RMISSINGOPTPARAM",
            description: "Expected optional parameter missing"
        ),
        .init(
            status: .invalidOptionalParameterValue,
            name: "ESME_RINVOPTPARAMVAL",
            description: "Invalid optional parameter value"
        ),
        .init(
            status: .deliveryFailure,
            name: "ESME_RDELIVERYFAILURE",
            description: "Delivery failure (used for data_sm_resp)"
        ),
        .init(status: .unknownError, name: "ESME_RUNKNOWNERR", description: "Unknown error"),
        .init(
            status: .serviceTypeUnauthorized,
            name: "ESME_RSERTYPUNAUTH",
            description: "ESME not authorised to use specified service_type"
        ),
        .init(
            status: .prohibited,
            name: "ESME_RPROHIBITED",
            description: "ESME prohibited from using specified operation"
        ),
        .init(
            status: .serviceTypeUnavailable,
            name: "ESME_RSERTYPUNAVAIL",
            description: "Specified service_type is unavailable"
        ),
        .init(status: .serviceTypeDenied, name: "ESME_RSERTYPDENIED", description: "Specified service_type is denied"),
        .init(status: .invalidDataCoding, name: "ESME_RINVDCS", description: "Invalid data coding scheme"),
        .init(
            status: .invalidSourceAddressSubunit,
            name: "ESME_RINVSRCADDRSUBUNIT",
            description: "Source address subunit is invalid"
        ),
        .init(
            status: .invalidDestinationAddressSubunit,
            name: "ESME_RINVDSTADDRSUBUNIT",
            description: "Destination address subunit is invalid"
        ),
        .init(
            status: .invalidBroadcastFrequencyInterval,
            name: "ESME_RINVBCASTFREQINT",
            description: "Broadcast frequency interval is invalid"
        ),
        .init(
            status: .invalidBroadcastAliasName,
            name: "ESME_RINVBCASTALIAS_NAME",
            description: "Broadcast alias name is invalid"
        ),
        .init(
            status: .invalidBroadcastAreaFormat,
            name: "ESME_RINVBCASTAREAFMT",
            description: "Broadcast area format is invalid"
        ),
        .init(
            status: .invalidNumberOfBroadcastAreas,
            name: "ESME_RINVNUMBCAST_AREAS",
            description: "Number of broadcast areas is invalid"
        ),
        .init(
            status: .invalidBroadcastContentType,
            name: "ESME_RINVBCASTCNTTYPE",
            description: "Broadcast content type is invalid"
        ),
        .init(
            status: .invalidBroadcastMessageClass,
            name: "ESME_RINVBCASTMSGCLASS",
            description: "Broadcast message class is invalid"
        ),
        .init(status: .broadcastFailed, name: "ESME_RBCASTFAIL", description: "broadcast_sm operation failed"),
        .init(
            status: .broadcastQueryFailed,
            name: "ESME_RBCASTQUERYFAIL",
            description: "query_broadcast_sm operation failed"
        ),
        .init(
            status: .broadcastCancelFailed,
            name: "ESME_RBCASTCANCELFAIL",
            description: "cancel_broadcast_sm operation failed"
        ),
        .init(
            status: .invalidBroadcastRepetitions,
            name: "ESME_RINVBCAST_REP",
            description: "Number of repeated broadcasts is invalid"
        ),
        .init(
            status: .invalidBroadcastServiceGroup,
            name: "ESME_RINVBCASTSRVGRP",
            description: "Broadcast service group is invalid"
        ),
        .init(
            status: .invalidBroadcastChannelIndicator,
            name: "ESME_RINVBCASTCHANIND",
            description: "Broadcast channel indicator is invalid"
        ),
    ]

    private static let table: [UInt32: Definition] = Dictionary(
        uniqueKeysWithValues: allDefined.map { ($0.status.rawValue, $0) }
    )

    /// The status with this specification name (e.g. `ESME_RTHROTTLED`), case-insensitively, or `nil`.
    public init?(name: String) {
        let upper = name.uppercased()
        guard let entry = Self.allDefined.first(where: { $0.name == upper }) else { return nil }
        self = entry.status
    }
}

extension CommandStatus: CustomStringConvertible {
    /// `ESME_RTHROTTLED (0x00000058)`, or `0x00000401` for an undefined value.
    public var description: String {
        let hex = String(self.rawValue, radix: 16, uppercase: true)
        let padded = "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
        if let name = self.name { return "\(name) (\(padded))" }
        return padded
    }
}
