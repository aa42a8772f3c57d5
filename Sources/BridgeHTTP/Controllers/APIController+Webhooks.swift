import BridgeCore
import BridgeStore
import Foundation
import Hummingbird
import Logging

extension APIController {
    func listWebhookDeliveries(
        _ input: Operations.ListWebhookDeliveries.Input
    ) async throws -> Operations.ListWebhookDeliveries.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        let query = input.query
        let limit = try Self.pageSize(query.limit)
        let cursor = try Self.cursor(query.cursor)
        var messageID: UUID?
        if let text = query.messageId {
            guard let id = UUID(uuidString: text) else {
                throw APIProblem.invalidField("message_id", code: "invalid", "is not a message id (a UUID)")
            }
            messageID = id
        }
        let filter = WebhookDeliveryFilter(
            status: query.status.flatMap { WebhookDeliveryStatus(rawValue: $0.rawValue) },
            eventType: query.eventType.flatMap { WebhookEventType(rawValue: $0.rawValue) },
            messageID: messageID
        )
        let records = try await self.database(context.logger) {
            try await $0.webhookDeliveries(accountID: account.id, filter: filter, limit: limit + 1, after: cursor)
        }
        let page = records.prefix(limit)
        let next = records.count > limit ? page.last.map { ListCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return .ok(.init(body: .json(.init(data: page.map { .init($0) }, nextCursor: next))))
    }

    func getWebhookDelivery(
        _ input: Operations.GetWebhookDelivery.Input
    ) async throws -> Operations.GetWebhookDelivery.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        guard let id = UUID(uuidString: input.path.id),
            let record = try await self.database(
                context.logger,
                { try await $0.webhookDelivery(id: id, accountID: account.id) }
            )
        else { throw APIProblem.notFound("webhook delivery") }
        let attempts = try await self.database(context.logger) { try await $0.webhookAttempts(deliveryID: id) }
        return .ok(.init(body: .json(.init(record, attempts: attempts))))
    }

    func redeliverWebhook(_ input: Operations.RedeliverWebhook.Input) async throws -> Operations.RedeliverWebhook.Output
    {
        let (account, context) = try APIRequestContext.currentAccount()
        var given: String?
        if case .json(let body) = input.body { given = body.url }
        let url = try self.checkedWebhookURL(given)
        let idempotency = context.idempotency?.recording(statusCode: 202) { Components.Schemas.WebhookDelivery($0) }
        guard let id = UUID(uuidString: input.path.id),
            let record = try await self.database(
                context.logger,
                { try await $0.redeliverWebhook(id: id, accountID: account.id, url: url, idempotency: idempotency) }
            )
        else { throw APIProblem.notFound("webhook delivery") }
        context.logger.debug("webhook redelivery requested", metadata: ["webhook.id": "\(record.id.lowercased)"])
        return .accepted(.init(body: .json(.init(record))))
    }

    func sendTestWebhook(_ input: Operations.SendTestWebhook.Input) async throws -> Operations.SendTestWebhook.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        var given: String?
        if case .json(let body) = input.body { given = body.url }
        let requested = try self.checkedWebhookURL(given)
        let idempotency = context.idempotency?.recording(statusCode: 202) { Components.Schemas.WebhookDelivery($0) }
        guard
            let record = try await self.database(
                context.logger,
                { try await $0.enqueueTestWebhook(accountID: account.id, url: requested, idempotency: idempotency) }
            )
        else {
            throw APIProblem.invalidField(
                "url",
                code: "required",
                "is required: the account has no status_url (PUT /v1/account/webhooks)"
            )
        }
        return .accepted(.init(body: .json(.init(record))))
    }

    func getWebhookSettings(
        _ input: Operations.GetWebhookSettings.Input
    ) async throws -> Operations.GetWebhookSettings.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        let settings = try await self.database(context.logger) { try await $0.webhookSettings(accountID: account.id) }
        return .ok(.init(body: .json(.init(settings))))
    }

    func putWebhookSettings(
        _ input: Operations.PutWebhookSettings.Input
    ) async throws -> Operations.PutWebhookSettings.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        guard case .json(let body) = input.body else {
            throw APIProblem.malformedBody(code: "invalid", "expected a JSON object")
        }
        let policy = self.validator.policy.callbackURLs
        let errors = [
            body.statusUrl.flatMap { policy.check($0, field: "status_url") },
            body.inboundUrl.flatMap { policy.check($0, field: "inbound_url") },
        ].compactMap { $0 }
        guard errors.isEmpty else { throw APIProblem.invalidFields(errors) }
        let settings = try await self.database(context.logger) {
            try await $0.setWebhookURLs(accountID: account.id, statusURL: body.statusUrl, inboundURL: body.inboundUrl)
        }
        return .ok(.init(body: .json(.init(settings))))
    }

    func rotateWebhookSecret(
        _ input: Operations.RotateWebhookSecret.Input
    ) async throws -> Operations.RotateWebhookSecret.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        var overlap = Double(self.secretRotationOverlap.components.seconds)
        if case .json(let body) = input.body, let seconds = body.overlapSeconds {
            guard (0...604_800).contains(seconds) else {
                throw APIProblem.invalidField("overlap_seconds", code: "out_of_range", "must be 0–604800 (7 days)")
            }
            overlap = Double(seconds)
        }
        let requested = overlap
        let idempotency = context.idempotency?.recording(statusCode: 200, Components.Schemas.WebhookSecret.init)
        let rotation = try await self.database(context.logger) {
            try await $0.rotateWebhookSecret(accountID: account.id, overlap: requested, idempotency: idempotency)
        }
        context.logger.notice(
            "webhook secret rotated",
            metadata: ["account": "\(account.name)", "webhook.secrets_ended": "\(rotation.ended.count)"]
        )
        return .ok(.init(body: .json(.init(rotation))))
    }

    /// A webhook URL of a request body's `url`, checked by the callback-URL policy (`nil` stays nil).
    private func checkedWebhookURL(_ url: String?) throws -> String? {
        guard let url else { return nil }
        if let error = self.validator.policy.callbackURLs.check(url, field: "url") {
            throw APIProblem.invalidFields([error])
        }
        return url
    }
}
