import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension APIController {
    func getMessage(_ input: Operations.GetMessage.Input) async throws -> Operations.GetMessage.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        guard let id = UUID(uuidString: input.path.id),
            let record = try await self.database(
                context.logger,
                { try await $0.message(id: id, accountID: account.id) }
            )
        else { throw APIProblem.notFound("message") }
        return .ok(.init(body: .json(.init(record, detailed: true))))
    }

    func cancelMessage(_ input: Operations.CancelMessage.Input) async throws -> Operations.CancelMessage.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        guard let id = UUID(uuidString: input.path.id) else { throw APIProblem.notFound("message") }
        switch try await self.database(context.logger, { try await $0.cancel(id: id, accountID: account.id) }) {
        case .canceled(let record):
            context.logger.debug("message canceled", metadata: ["message.id": "\(record.id.lowercased)"])
            return .ok(.init(body: .json(.init(record, detailed: true))))
        case .notCancelable(let status):
            throw APIProblem(
                .notCancelable,
                detail: "the message is \(status.rawValue); only scheduled and queued messages can be canceled"
            )
        case .notFound:
            throw APIProblem.notFound("message")
        }
    }

    func listMessages(_ input: Operations.ListMessages.Input) async throws -> Operations.ListMessages.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        let query = input.query
        let limit = try Self.pageSize(query.limit)
        let cursor = try Self.cursor(query.cursor)
        for (name, value) in [("to", query.to), ("client_ref", query.clientRef)] {
            if let value, MessageValidator.hasControlCharacter(value) {
                throw APIProblem.invalidField(name, code: "invalid_character", MessageValidator.controlCharacterDetail)
            }
        }
        let filter = MessageFilter(
            status: query.status.map(MessageStatus.init),
            to: query.to.map(Self.recipient),
            clientRef: query.clientRef,
            createdSince: query.createdSince,
            createdUntil: query.createdUntil
        )
        // One more than the page: whether there is a next page is then known without another request.
        let records = try await self.database(context.logger) {
            try await $0.messages(accountID: account.id, filter: filter, limit: limit + 1, after: cursor)
        }
        let page = records.prefix(limit)
        let next = records.count > limit ? page.last.map { ListCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return .ok(.init(body: .json(.init(data: page.map { .init($0, detailed: false) }, nextCursor: next))))
    }

    /// A `to` filter as the validator stores recipients: without spaces, dashes, dots and
    /// parentheses. A leading space is a `+` that form decoding turned into a space.
    static func recipient(_ text: String) -> String {
        let plus = text.first == " " && text.drop(while: { $0 == " " }).first?.isNumber == true
        let compact = text.filter { !" -.()".contains($0) }
        return plus && !compact.hasPrefix("+") ? "+" + compact : compact
    }
}
