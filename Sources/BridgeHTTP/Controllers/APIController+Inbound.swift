import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension APIController {
    func listInbound(_ input: Operations.ListInbound.Input) async throws -> Operations.ListInbound.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        let limit = try Self.pageSize(input.query.limit)
        let cursor = try Self.cursor(input.query.cursor)
        let records = try await self.database(context.logger) {
            try await $0.inboundMessages(accountID: account.id, limit: limit + 1, after: cursor)
        }
        let page = records.prefix(limit)
        let next = records.count > limit ? page.last.map { ListCursor(createdAt: $0.receivedAt, id: $0.id).token } : nil
        return .ok(.init(body: .json(.init(data: page.map(Components.Schemas.InboundMessage.init), nextCursor: next))))
    }

    func getInbound(_ input: Operations.GetInbound.Input) async throws -> Operations.GetInbound.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        guard let id = UUID(uuidString: input.path.id),
            let record = try await self.database(
                context.logger,
                { try await $0.inboundMessage(id: id, accountID: account.id) }
            )
        else { throw APIProblem.notFound("received message") }
        return .ok(.init(body: .json(.init(record))))
    }
}
