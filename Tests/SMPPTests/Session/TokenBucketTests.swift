import NIOCore
import SMPP
import Testing

@Suite struct TokenBucketTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    /// How many of `attempts` takes at `now` succeed.
    private func takes(_ bucket: inout TokenBucket, _ attempts: Int, at now: NIODeadline) -> Int {
        var taken = 0
        for _ in 0..<attempts where bucket.take(now: now) { taken += 1 }
        return taken
    }

    @Test func aFullBucketAllowsABurstThenRefillsAtTheRate() {
        var bucket = TokenBucket(rate: 10, now: self.start)
        let burst = self.takes(&bucket, 15, at: self.start)
        #expect(burst == 10)
        let next = bucket.nextToken(now: self.start)
        #expect(next == self.start + .milliseconds(100))
        let early = bucket.take(now: self.start + .milliseconds(99))
        #expect(!early)
        let onTime = bucket.take(now: self.start + .milliseconds(100))
        #expect(onTime)
        // Half a second later: five more.
        let later = self.takes(&bucket, 10, at: self.start + .milliseconds(600))
        #expect(later == 5)
    }

    @Test func capacityBoundsTheBurst() {
        var bucket = TokenBucket(rate: 30, capacity: 2, now: self.start)
        let taken = self.takes(&bucket, 5, at: self.start + .seconds(10))
        #expect(taken == 2)
    }
}
