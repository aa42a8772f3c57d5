import BridgeCore
import Foundation
import SMPP

/// Messages as the API accepts them, for the store tests: validated and built like a send request,
/// routed to the connector `main`.
enum AcceptedMessages {
    static let validator = MessageValidator(
        policy: MessagePolicy(),
        router: MessageRouter(defaultConnector: "main"),
        builders: ["main": SubmitBuilder()]
    )

    /// `request` of `account`, accepted at `date`.
    static func make(_ request: SendRequest, account: UUID, at date: Date = Date()) throws -> AcceptedMessage {
        try self.validator.validate(request, accountID: account, now: date).get()
    }
}
