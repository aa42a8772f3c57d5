import SMPP
import Testing

@Suite struct CommandStatusTests {
    @Test func tableHoldsEverySpecifiedValueOnce() {
        #expect(CommandStatus.allDefined.count == 67)
        #expect(Set(CommandStatus.allDefined.map(\.status)).count == 67)
        #expect(Set(CommandStatus.allDefined.map(\.name)).count == 67)
        #expect(
            CommandStatus.allDefined.map(\.status.rawValue) == CommandStatus.allDefined.map(\.status.rawValue).sorted()
        )
    }

    @Test func namesAndValuesMatchTheSpecification() {
        #expect(CommandStatus.throttled.rawValue == 0x58)
        #expect(CommandStatus.throttled.name == "ESME_RTHROTTLED")
        #expect(CommandStatus.messageQueueFull.name == "ESME_RMSGQFUL")
        #expect(CommandStatus.invalidBindStatus.rawValue == 0x04)
        #expect(CommandStatus.invalidParameterLength.name == "ESME_RINVPARLEN")
        #expect(CommandStatus.invalidBroadcastChannelIndicator.rawValue == 0x112)
        #expect(CommandStatus(name: "esme_rinvdstadr") == .invalidDestinationAddress)
        #expect(CommandStatus(name: "ESME_NOPE") == nil)
    }

    @Test func vendorAndReservedValuesSurviveAsNumbers() {
        let vendor = CommandStatus(rawValue: 0x0000_0401)
        #expect(vendor.name == nil)
        #expect(vendor.explanation == "SMSC vendor-specific error")
        #expect(vendor.description == "0x00000401")
        #expect(CommandStatus(rawValue: 0x09).explanation == "Reserved")
        #expect(CommandStatus.throttled.description == "ESME_RTHROTTLED (0x00000058)")
    }

    @Test func retryClasses() {
        #expect(CommandStatus.throttled.isTemporary)
        #expect(CommandStatus.messageQueueFull.isTemporary)
        #expect(CommandStatus.systemError.isTemporary)
        #expect(!CommandStatus.invalidDestinationAddress.isTemporary)
        #expect(CommandStatus.invalidPassword.isCredentialError)
        #expect(!CommandStatus.throttled.isCredentialError)
    }
}
