import SMPP
import Testing

@Suite struct MessageIDLearnerTests {
    private let auto = MessageIDNormalizer(mode: .auto)

    @Test func receiptsMatchingAsWrittenTeachTheCanonicalForm() {
        var learner = MessageIDLearner(threshold: 20)
        for id in 1_000_000_010..<1_000_000_029 {
            #expect(learner.matched(receiptedID: "\(id)", key: "\(id)") == nil)
        }
        #expect(learner.normalizer(for: self.auto).candidates(forReceipted: "16") == ["16", "10", "22"], "still learning")
        #expect(learner.matched(receiptedID: "1000000029", key: "1000000029") == .canonical)
        // An early receipt "16" no longer finds the older message whose id was hex 10.
        #expect(learner.normalizer(for: self.auto).candidates(forReceipted: "16") == ["16"])
        #expect(learner.learned == .canonical)
    }

    @Test func receiptsInDecimalForHexIDsTeachThatConversion() {
        var learner = MessageIDLearner(threshold: 3)
        for id: UInt64 in [1_000_000_047, 1_000_000_048, 1_000_000_049] {
            learner.matched(receiptedID: "\(id)", key: String(id, radix: 16, uppercase: true))
        }
        #expect(learner.learned == .receiptDecimal)
        #expect(learner.normalizer(for: self.auto).candidates(forReceipted: "1000000047") == ["3B9ACA2F"])
    }

    @Test func idsThatReadTheSameInEveryFormTeachNothing() {
        var learner = MessageIDLearner(threshold: 1)
        // "7" is 7 in decimal and in hex: no evidence of a form.
        #expect(learner.matched(receiptedID: "7", key: "7") == nil)
        #expect(learner.learned == nil)
        // A hex id with letters is canonical only: "ABC" has no decimal reading.
        #expect(learner.matched(receiptedID: "abc", key: "ABC") == .canonical)
    }

    @Test func mixedEvidenceKeepsLookingUpEveryForm() {
        var learner = MessageIDLearner(threshold: 20)
        learner.matched(receiptedID: "16", key: "10")  // one conversion (maybe a wrong match)
        for id in 1_000_000_010..<1_000_000_029 { learner.matched(receiptedID: "\(id)", key: "\(id)") }
        #expect(learner.learned == nil, "19 canonical against 1 conversion: not yet one in twenty")
        learner.matched(receiptedID: "1000000029", key: "1000000029")
        #expect(learner.learned == nil, "20 against 1 is not fewer than one in twenty")
        learner.matched(receiptedID: "1000000030", key: "1000000030")
        #expect(learner.learned == .canonical)
    }

    @Test func aConfiguredModeIsNeverOverridden() {
        var learner = MessageIDLearner(threshold: 1)
        learner.matched(receiptedID: "1000000047", key: "3B9ACA2F")
        let canonical = MessageIDNormalizer(mode: .canonical)
        #expect(learner.normalizer(for: canonical) == canonical)
    }
}
