import NIOCore
import SMPP
import Testing

@testable import SMPPClient

/// One scenario per test: pool events in, actions out, time given by hand.
@Suite struct PoolStateMachineTests {
    typealias Pool = PoolStateMachine<String>

    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private func at(_ seconds: Double) -> NIODeadline { self.start + .nanoseconds(Int64(seconds * 1e9)) }
    private let submit = PDU.submitSM(SubmitSM(source: Address("a"), destination: Address("b")))

    private func pool(
        slots: [BindType] = [.transceiver, .transceiver],
        endpoints: Int = 1,
        window: Int = 2,
        throughput: Double? = nil
    ) -> Pool {
        Pool(
            settings: .init(
                window: window,
                endpoints: endpoints,
                throughput: throughput,
                reconnectBackoff: Backoff(initial: .seconds(1), maximum: .seconds(8), multiplier: 2, jitter: 0),
                throttleBackoff: Backoff(initial: .seconds(1), maximum: .seconds(4), multiplier: 2, jitter: 0),
                maxThrottleRetries: 2,
                queueTimeout: .seconds(30),
                maxQueued: 100
            ),
            bindTypes: slots,
            now: self.start,
            unitRandom: { 0.5 }
        )
    }

    private func boundPool(window: Int = 2, throughput: Double? = nil) -> Pool {
        var pool = self.pool(window: window, throughput: throughput)
        _ = pool.start()
        _ = pool.bound(slot: 0, now: self.start)
        _ = pool.bound(slot: 1, now: self.start)
        return pool
    }

    private func waiters(_ dispatch: Pool.Dispatch) -> [Int: [String]] {
        Dictionary(uniqueKeysWithValues: dispatch.batches.map { ($0.slot, $0.pendings.map(\.waiter)) })
    }

    private func enqueue(
        _ pool: inout Pool,
        _ names: [String],
        priority: SubmitPriority = .normal,
        at now: NIODeadline
    ) -> Pool.Dispatch {
        guard case .dispatch(let dispatch) = pool.enqueue(names.map { (self.submit, $0) }, priority: priority, now: now)
        else {
            Issue.record("enqueue rejected")
            return Pool.Dispatch()
        }
        return dispatch
    }

    @Test func startConnectsEverySlotToThePrimary() {
        var pool = self.pool()
        #expect(pool.start() == [.connect(slot: 0, endpoint: 0), .connect(slot: 1, endpoint: 0)])
    }

    @Test func submitsWaitUntilASessionIsBound() {
        var pool = self.pool()
        _ = pool.start()
        #expect(self.enqueue(&pool, ["a"], at: self.start).isEmpty)
        #expect(pool.queued == 1)
        #expect(self.waiters(pool.bound(slot: 1, now: self.start)) == [1: ["a"]])
    }

    @Test func dispatchSpreadsOverTheLeastLoadedSessions() {
        var pool = self.boundPool(window: 2)
        let dispatch = self.enqueue(&pool, ["a", "b", "c", "d", "e"], at: self.start)
        #expect(self.waiters(dispatch) == [0: ["a", "c"], 1: ["b", "d"]])
        #expect(pool.queued == 1, "both windows are full")
    }

    @Test func urgentSubmitsGoFirst() {
        var pool = self.boundPool(window: 1)
        _ = self.enqueue(&pool, ["busy0", "busy1"], at: self.start)
        _ = self.enqueue(&pool, ["bulk1", "bulk2"], at: self.start)
        _ = self.enqueue(&pool, ["urgent"], priority: .urgent, at: self.start)
        let first = pool.completed(
            slot: 0,
            pending: Self.pending("busy0"),
            outcome: .response(Self.ok),
            now: self.at(1)
        )
        #expect(self.waiters(first.dispatch) == [0: ["urgent"]])
    }

    @Test func throttlingPausesTheSessionAndResendsTheMessageFirst() {
        var pool = self.boundPool(window: 1)
        let dispatch = self.enqueue(&pool, ["a", "b", "c", "d"], at: self.start)
        let a = dispatch.batches.first { $0.slot == 0 }!.pendings[0]
        let throttled = SMPPFrame(.submitSMResp(SubmitSMResponse()), sequenceNumber: 1, commandStatus: .throttled)
        let completion = pool.completed(slot: 0, pending: a, outcome: .response(throttled), now: self.at(1))
        #expect(completion.resolution == nil, "not the caller's failure yet")
        #expect(completion.throttled)
        // Session 0 pauses for 1 s; session 1 is still busy: nothing goes out, "a" waits first in line.
        #expect(completion.dispatch.isEmpty)
        #expect(pool.nextWakeup(now: self.at(1)) == self.at(2))
        let resumed = pool.dispatch(now: self.at(2))
        #expect(self.waiters(resumed) == [0: ["a"]])
    }

    @Test func repeatedThrottlingEndsInTheCallersError() {
        var pool = self.pool(slots: [.transceiver], window: 1)
        _ = pool.start()
        _ = pool.bound(slot: 0, now: self.start)
        var pending = self.enqueue(&pool, ["a"], at: self.start).batches[0].pendings[0]
        let throttled = SMPPFrame(.submitSMResp(SubmitSMResponse()), sequenceNumber: 1, commandStatus: .throttled)
        var now = self.start
        for _ in 0..<2 {
            _ = pool.completed(slot: 0, pending: pending, outcome: .response(throttled), now: now)
            now = now + .seconds(10)
            pending = pool.dispatch(now: now).batches[0].pendings[0]
        }
        let last = pool.completed(slot: 0, pending: pending, outcome: .response(throttled), now: now)
        guard case .failure(.rejected(.throttled)) = last.resolution?.result else {
            Issue.record("expected the throttling error after the retries")
            return
        }
    }

    @Test func connectFailureTriesTheBackupThenBacksOff() {
        var pool = self.pool(slots: [.transceiver], endpoints: 2)
        _ = pool.start()
        #expect(pool.connectFailed(slot: 0, error: "refused", now: self.start) == .connect(slot: 0, endpoint: 1))
        #expect(pool.connectFailed(slot: 0, error: "refused", now: self.start) == .none)
        #expect(pool.nextWakeup(now: self.start) == self.at(1))
        #expect(pool.timerFired(now: self.at(1)).connects == [.connect(slot: 0, endpoint: 0)])
        _ = pool.connectFailed(slot: 0, error: "refused", now: self.at(1))
        _ = pool.connectFailed(slot: 0, error: "refused", now: self.at(1))
        #expect(pool.nextWakeup(now: self.at(1)) == self.at(3), "the second round waits twice as long")
    }

    @Test func aDroppedSessionReconnectsAfterABackOff() {
        var pool = self.boundPool()
        #expect(pool.closed(slot: 0, reason: "reset", now: self.at(5)) == .none)
        #expect(pool.slots[0].reconnects == 1)
        #expect(pool.timerFired(now: self.at(5.5)).connects.isEmpty)
        #expect(pool.timerFired(now: self.at(6)).connects == [.connect(slot: 0, endpoint: 0)])
    }

    @Test func refusedCredentialsStopReconnecting() {
        var pool = self.pool(slots: [.transceiver, .transceiver])
        _ = pool.start()
        _ = self.enqueue(&pool, ["a"], at: self.start)
        guard
            case .alert(let failing, let reason) = pool.bindFailed(
                slot: 0,
                error: .bindFailed(.invalidPassword),
                now: self.start
            )
        else {
            Issue.record("expected an alert")
            return
        }
        #expect(failing.map(\.waiter) == ["a"])
        #expect(reason.contains("ESME_RINVPASWD"))
        #expect(pool.closed(slot: 1, reason: nil, now: self.start) == .none)
        #expect(pool.timerFired(now: self.at(100)).connects.isEmpty)
        guard case .reject(.unavailable) = pool.enqueue([(self.submit, "b")], priority: .normal, now: self.at(1)) else {
            Issue.record("expected unavailable")
            return
        }
        #expect(pool.resume(now: self.at(2)).connects.count == 2)
    }

    @Test func aClosingSessionTakesNoMoreSubmits() {
        var pool = self.boundPool(window: 1)
        let dispatch = self.enqueue(&pool, ["a", "b", "c"], at: self.start)
        #expect(self.waiters(dispatch) == [0: ["a"], 1: ["b"]])
        pool.closing(slot: 0)
        // Failing "a" frees a place in session 0's window: "c" must not go there.
        let failed = pool.completed(
            slot: 0,
            pending: Self.pending("a"),
            outcome: .failure(.connectionClosed),
            now: self.at(1)
        )
        #expect(failed.dispatch.isEmpty)
        #expect(pool.queued == 1)
        #expect(pool.boundSessions == 1)
        let answered = pool.completed(slot: 1, pending: Self.pending("b"), outcome: .response(Self.ok), now: self.at(1))
        #expect(self.waiters(answered.dispatch) == [1: ["c"]])
        #expect(pool.closed(slot: 0, reason: "reset", now: self.at(2)) == .none)
        #expect(pool.slots[0].reconnects == 1, "a closing session counts as a dropped bound one")
    }

    @Test func submitsRefusedByAClosingSessionNeverGoBackToIt() {
        var pool = self.boundPool(window: 2)
        let dispatch = self.enqueue(&pool, ["a", "b", "c", "d"], at: self.start)
        let toSlot0 = dispatch.batches.first { $0.slot == 0 }!.pendings
        let requeued = pool.requeue(slot: 0, pendings: toSlot0, because: .closing, now: self.at(1))
        #expect(requeued.isEmpty, "session 1 is full and session 0 refused them")
        #expect(pool.slots[0].state == .closing)
        #expect(pool.slots[0].inFlight == 0)
        let answered = pool.completed(slot: 1, pending: Self.pending("b"), outcome: .response(Self.ok), now: self.at(1))
        #expect(self.waiters(answered.dispatch) == [1: ["a"]], "first in line again")
    }

    @Test func submitsThatReachAClosedSessionLeaveItsSuccessorsCountAlone() {
        var pool = self.pool(slots: [.transceiver], window: 2)
        _ = pool.start()
        _ = pool.bound(slot: 0, now: self.start)
        let stale = self.enqueue(&pool, ["a", "b"], at: self.start).batches[0].pendings
        // The session closes before "a" and "b" reach it; a new session binds and takes "c".
        _ = pool.closed(slot: 0, reason: "reset", now: self.start)
        _ = pool.timerFired(now: self.at(1))
        _ = pool.bound(slot: 0, now: self.at(1))
        #expect(self.waiters(self.enqueue(&pool, ["c"], at: self.at(1))) == [0: ["c"]])
        let requeued = pool.requeue(slot: 0, pendings: stale, because: .closed, now: self.at(1))
        #expect(self.waiters(requeued) == [0: ["a"]], "one place left beside c")
        #expect(pool.slots[0].inFlight == 2)
        #expect(pool.slots[0].state == .bound)
    }

    @Test func aFailedBindTriesTheNextEndpointOnceTheConnectionCloses() {
        var pool = self.pool(slots: [.transceiver], endpoints: 2)
        _ = pool.start()
        guard case .none = pool.bindFailed(slot: 0, error: .bindFailed(.systemError), now: self.start) else {
            Issue.record("a temporary refusal raises no alert")
            return
        }
        #expect(pool.closed(slot: 0, reason: nil, now: self.start) == .connect(slot: 0, endpoint: 1))
        #expect(pool.slots[0].errors == 1)
    }

    @Test func aSessionStillBindingWhenTheAlertIsRaisedServesIfItBinds() {
        var pool = self.pool(slots: [.transceiver, .transceiver])
        _ = pool.start()
        guard case .alert = pool.bindFailed(slot: 0, error: .bindFailed(.invalidPassword), now: self.start) else {
            Issue.record("expected an alert")
            return
        }
        #expect(pool.slots[1].state == .connecting(endpoint: 0))
        _ = pool.bound(slot: 1, now: self.at(1))
        #expect(self.waiters(self.enqueue(&pool, ["a"], at: self.at(1))) == [1: ["a"]])
        #expect(pool.resume(now: self.at(2)).connects == [.connect(slot: 0, endpoint: 0)])
    }

    @Test func aSessionDroppingDuringTheAlertStopsAndNothingWakesForIt() {
        var pool = self.pool(slots: [.transceiver, .transceiver])
        _ = pool.start()
        _ = pool.bound(slot: 1, now: self.start)
        _ = pool.bindFailed(slot: 0, error: .bindFailed(.invalidSystemID), now: self.start)
        pool.closing(slot: 1)
        #expect(pool.closed(slot: 1, reason: "reset", now: self.at(1)) == .none)
        #expect(pool.slots[1].state == .stopped)
        #expect(pool.nextWakeup(now: self.at(100)) == nil)
        #expect(pool.resume(now: self.at(100)).connects.count == 2)
    }

    @Test func aPausedPoolWakesOnlyForQueueDeadlines() {
        var pool = self.pool(slots: [.transceiver], window: 1, throughput: 10)
        _ = pool.start()
        _ = pool.bound(slot: 0, now: self.start)
        _ = self.enqueue(&pool, ["a", "b"], at: self.start)
        pool.pause()
        let answered = pool.completed(slot: 0, pending: Self.pending("a"), outcome: .response(Self.ok), now: self.at(1))
        #expect(answered.dispatch.isEmpty)
        // A token and window space are there, but paused nothing is sent: only "b"'s deadline counts.
        #expect(pool.nextWakeup(now: self.at(1)) == self.at(30))
        #expect(self.waiters(pool.resume(now: self.at(2)).dispatch) == [0: ["b"]])
    }

    @Test func queuedSubmitsExpire() {
        var pool = self.pool()
        _ = pool.start()
        _ = self.enqueue(&pool, ["a", "b"], at: self.start)
        #expect(pool.timerFired(now: self.at(29)).dispatch.expired.isEmpty)
        let expired = pool.timerFired(now: self.at(30)).dispatch.expired
        #expect(expired.map(\.waiter) == ["a", "b"])
        #expect(expired.allSatisfy { $0.expiry == .queueTimeout })
    }

    @Test func aSubmitWhoseSendByTimePassesLeavesTheQueueBehindOthers() {
        var pool = self.pool()
        _ = pool.start()
        _ = self.enqueue(&pool, ["a"], at: self.start)
        _ = pool.enqueue([(self.submit, "b")], priority: .normal, sendBy: self.at(5), now: self.at(1))
        _ = pool.enqueue([(self.submit, "c")], priority: .normal, sendBy: self.at(60), now: self.at(1))
        // "b" waits behind "a", yet the timer comes for it; "c"'s send-by time is beyond the queue timeout.
        #expect(pool.nextWakeup(now: self.at(1)) == self.at(5))
        #expect(pool.timerFired(now: self.at(4.9)).dispatch.expired.isEmpty)
        let expired = pool.timerFired(now: self.at(5)).dispatch.expired
        #expect(expired.map(\.waiter) == ["b"])
        #expect(expired.first?.expiry == .expired)
        #expect(pool.queued == 2)
        #expect(pool.nextWakeup(now: self.at(5)) == self.at(30))
        #expect(pool.timerFired(now: self.at(31)).dispatch.expired.map(\.waiter) == ["a", "c"])
    }

    @Test func aSubmitPastItsSendByTimeIsNotSentWhenASessionFrees() {
        var pool = self.pool(slots: [.transceiver], window: 1)
        _ = pool.start()
        _ = pool.enqueue([(self.submit, "late")], priority: .normal, sendBy: self.at(2), now: self.start)
        _ = self.enqueue(&pool, ["on time"], at: self.start)
        // The session binds after the send-by time, before any timer ran: "late" is not handed over.
        let dispatch = pool.bound(slot: 0, now: self.at(3))
        #expect(dispatch.expired.map(\.waiter) == ["late"])
        #expect(self.waiters(dispatch) == [0: ["on time"]])
    }

    @Test func tokenBucketLimitsDispatch() {
        var pool = self.boundPool(window: 100, throughput: 2)
        let dispatch = self.enqueue(&pool, ["a", "b", "c", "d"], at: self.start)
        #expect(dispatch.batches.flatMap(\.pendings).count == 2)
        #expect(pool.nextWakeup(now: self.start) == self.at(0.5))
        #expect(pool.dispatch(now: self.at(0.5)).batches.flatMap(\.pendings).count == 1)
    }

    @Test func drainGivesBackTheQueueAndRefusesNewSubmits() {
        var pool = self.boundPool(window: 1)
        _ = self.enqueue(&pool, ["a", "b", "c", "d"], at: self.start)
        let (queued, unbind) = pool.drain()
        #expect(queued.map(\.waiter) == ["c", "d"])
        #expect(unbind == [0, 1])
        guard case .reject(.shuttingDown) = pool.enqueue([(self.submit, "e")], priority: .normal, now: self.start)
        else {
            Issue.record("expected shuttingDown")
            return
        }
        #expect(pool.closed(slot: 0, reason: nil, now: self.start) == .none, "no reconnect while draining")
    }

    private static let ok = SMPPFrame(.submitSMResp(SubmitSMResponse(messageID: "1")), sequenceNumber: 1)

    private static func pending(_ name: String) -> Pool.Pending {
        Pool.Pending(
            ticket: 0,
            pdu: .enquireLink,
            priority: .normal,
            enqueuedAt: .uptimeNanoseconds(0),
            deadline: .uptimeNanoseconds(0),
            waiter: name
        )
    }
}
