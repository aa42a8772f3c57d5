import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension APIController {
    func sendMessage(_ input: Operations.SendMessage.Input) async throws -> Operations.SendMessage.Output {
        let (account, context) = try APIRequestContext.currentAccount()
        guard case .json(let body) = input.body else { preconditionFailure("JSON is the only content type") }
        let accepted: AcceptedMessage
        switch self.validator.validate(SendRequest(body), accountID: account.id, now: Date()) {
        case .success(let message): accepted = message
        case .failure(let errors): throw APIProblem.invalidFields(errors.errors)
        }
        // Only what would be stored counts against the queue's bounds and the account's rate: a
        // refused request, corrected and sent again, does not find its own tokens spent.
        _ = try await self.admission.admit([accepted], for: account, logger: context.logger)
        let message = Components.Schemas.Message(accepted)
        let idempotency = try context.idempotency?.record(statusCode: 202, response: message)
        try await self.insert([accepted], idempotency: idempotency, accountID: account.id, logger: context.logger)
        context.logger.debug(
            "message accepted",
            metadata: ["message.id": "\(message.id.lowercased)", "message.parts": "\(accepted.parts.count)"]
        )
        return .accepted(.init(body: .json(message)))
    }

    func sendMessageBatch(
        _ input: Operations.SendMessageBatch.Input
    ) async throws
        -> Operations.SendMessageBatch.Output
    {
        let (account, context) = try APIRequestContext.currentAccount()
        guard case .json(let body) = input.body else { preconditionFailure("JSON is the only content type") }
        let items = body.messages
        guard (1...Self.maximumBatchSize).contains(items.count) else {
            throw APIProblem.invalidField(
                "messages",
                code: items.isEmpty ? "required" : "too_many",
                "must hold 1–\(Self.maximumBatchSize) messages, not \(items.count)"
            )
        }
        let now = Date()
        var accepted: [AcceptedMessage] = []
        var acceptedIndices: [Int] = []
        var results: [Components.Schemas.BatchResult] = []
        for (index, item) in items.enumerated() {
            // A microsecond apart, so that listings keep the order of the batch.
            let createdAt = now.addingTimeInterval(Double(index) / 1_000_000)
            switch self.validator.validate(SendRequest(item), accountID: account.id, now: createdAt) {
            case .success(let message):
                accepted.append(message)
                acceptedIndices.append(index)
                results.append(.init(index: index, status: 202, message: .init(message)))
            case .failure(let errors):
                let problem = APIProblem.invalidFields(errors.errors.map { $0.nested(in: "messages[\(index)]") })
                results.append(.init(index: index, status: problem.status.code, problem: problem.body))
            }
        }
        // Only the items that would be stored count against the queue's bounds and the rate. An item
        // whose connector's queue is past its bounds gets that 503 (the others still go); when
        // that leaves none, the whole request is a 503.
        if !accepted.isEmpty {
            let refused = try await self.admission.admit(accepted, for: account, logger: context.logger).refused
            if !refused.isEmpty {
                for (message, index) in zip(accepted, acceptedIndices) {
                    guard let problem = refused[message.connector] else { continue }
                    results[index] = .init(index: index, status: problem.status.code, problem: problem.body)
                }
                accepted.removeAll { refused[$0.connector] != nil }
            }
        }
        let response = Components.Schemas.BatchResponse(
            results: results,
            accepted: accepted.count,
            rejected: items.count - accepted.count
        )
        // A batch that stores nothing (every item refused) records nothing either: its key stays
        // unused, so the corrected items can be sent with it.
        let claim = accepted.isEmpty ? nil : context.idempotency
        let idempotency = try claim?.record(statusCode: 207, response: response)
        try await self.insert(accepted, idempotency: idempotency, accountID: account.id, logger: context.logger)
        context.logger.debug(
            "batch accepted",
            metadata: [
                "batch.accepted": "\(accepted.count)", "batch.rejected": "\(items.count - accepted.count)",
                "message.ids": "\(accepted.map { $0.id.lowercased })",
            ]
        )
        return .code207(.init(body: .json(response)))
    }
}
