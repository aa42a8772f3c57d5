public import NIOCore

/// Puts incoming concatenated messages back together (SMPP.md §10.4); a value type with no I/O.
///
/// Parts are recognised by a UDH concatenation element (esm_class UDHI) or by the SAR TLVs, and
/// grouped by source, destination, reference and total. They may arrive in any order; a second part
/// with a number already held is dropped and reported. When the last part arrives the message is
/// returned with its parts in order and their user data concatenated, UDHs stripped, for the caller
/// to decode once.
///
/// Time is an input: every event takes `now`. ``expire(now:)`` returns the sets that waited longer
/// than the timeout, with whatever arrived, for the caller to deliver flagged as incomplete. Memory
/// is bounded: when a new set would exceed ``Configuration/maximumPendingSets``, the oldest set is
/// evicted and returned. After completion a set's key is remembered for one timeout so that parts
/// an SMSC delivers again (e.g. after a lost `deliver_sm_resp`) are dropped rather than starting a
/// new set.
///
/// Stored parts are copied out of the PDU, so a pending set never keeps a read buffer alive.
public struct Reassembler: Sendable {
    /// Limits of the reassembler.
    public struct Configuration: Hashable, Sendable {
        /// How long an incomplete set waits for its missing parts. Default 5 minutes.
        public var timeout: Duration
        /// The most incomplete sets held at once. Default 10 000.
        public var maximumPendingSets: Int

        public init(timeout: Duration = .seconds(300), maximumPendingSets: Int = 10_000) {
            self.timeout = timeout
            self.maximumPendingSets = maximumPendingSets
        }
    }

    /// A configuration value out of range.
    public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The offending key.
        public var key: String
        /// What is wrong with its value.
        public var reason: String

        public init(key: String, reason: String) {
            self.key = key
            self.reason = reason
        }

        public var description: String { "invalid \(self.key): \(self.reason)" }
    }

    /// What identifies the parts of one message.
    public struct Key: Hashable, Sendable {
        public var source: Address
        public var destination: Address
        /// The concatenation reference (an 8-bit one widened).
        public var reference: UInt16
        /// The announced number of parts.
        public var total: UInt8

        public init(source: Address, destination: Address, reference: UInt16, total: UInt8) {
            self.source = source
            self.destination = destination
            self.reference = reference
            self.total = total
        }
    }

    /// What the caller must do with a received part.
    public enum Action: Hashable, Sendable {
        /// Deliver this message: all its parts arrived, or it was not concatenated.
        case deliver(ReassembledMessage)
        /// The part is held; `received` of the key's `total` parts are here.
        case wait(Key, received: Int)
        /// The part was dropped: a part with this number is already held (`identical` tells whether
        /// its user data is the same) or the set was completed less than a timeout ago (`identical`
        /// is then `nil`: its parts are no longer kept).
        case dropDuplicate(Key, sequence: UInt8, identical: Bool?)
    }

    /// The result of a `partReceived` event: the action for the part, and the oldest
    /// incomplete set if it had to be evicted to make room.
    public struct Outcome: Hashable, Sendable {
        /// What to do with the part.
        public var action: Action
        /// An incomplete set evicted to respect ``Configuration/maximumPendingSets``; deliver it
        /// flagged as incomplete.
        public var evicted: ReassembledMessage?
    }

    private struct PendingSet: Sendable {
        var id: UInt64
        var firstReceived: ContinuousClock.Instant
        var parts: [ReassembledMessage.Part?]
        var received: Int
    }

    private struct QueueEntry: Sendable {
        var key: Key
        var id: UInt64
        var instant: ContinuousClock.Instant
    }

    /// The validated configuration.
    public let configuration: Configuration
    private var pending: [Key: PendingSet] = [:]
    /// Pending sets by arrival of their first part; entries of sets that completed are skipped lazily.
    private var arrivals: [QueueEntry] = []
    private var arrivalsHead = 0
    /// Keys of recently completed sets, with when they completed.
    private var completed: [Key: UInt64] = [:]
    private var completions: [QueueEntry] = []
    private var completionsHead = 0
    private var nextID: UInt64 = 0

    /// - Throws: ``ConfigurationError`` when the timeout is not positive or `maximumPendingSets` is below 1.
    public init(configuration: Configuration = Configuration()) throws(ConfigurationError) {
        guard configuration.timeout > .zero else {
            throw ConfigurationError(key: "timeout", reason: "must be positive, got \(configuration.timeout)")
        }
        guard configuration.maximumPendingSets >= 1 else {
            throw ConfigurationError(
                key: "maximumPendingSets",
                reason: "must be at least 1, got \(configuration.maximumPendingSets)"
            )
        }
        self.configuration = configuration
    }

    /// The number of incomplete sets held.
    public var pendingCount: Int { self.pending.count }

    /// When the oldest incomplete set times out, for the caller's timer; `nil` when none is held.
    public var nextExpiry: ContinuousClock.Instant? {
        var index = self.arrivalsHead
        while index < self.arrivals.count {
            let entry = self.arrivals[index]
            if self.pending[entry.key]?.id == entry.id { return entry.instant + self.configuration.timeout }
            index += 1
        }
        return nil
    }

    /// A submit_sm / deliver_sm arrived.
    ///
    /// - Throws: ``UserDataHeaderError`` when esm_class has UDHI but the user data does not start
    ///   with a well-formed UDH; the caller rejects or delivers that PDU as it is.
    public mutating func partReceived(
        _ message: ShortMessage,
        now: ContinuousClock.Instant
    ) throws(UserDataHeaderError) -> Outcome {
        try self.partReceived(
            source: message.source,
            destination: message.destination,
            esmClass: message.esmClass,
            dataCoding: message.dataCoding,
            userData: message.userData,
            tlvs: message.tlvs,
            now: now
        )
    }

    /// A data_sm arrived (its user data is the `message_payload` TLV).
    public mutating func partReceived(
        _ message: DataSM,
        now: ContinuousClock.Instant
    ) throws(UserDataHeaderError) -> Outcome {
        try self.partReceived(
            source: message.source,
            destination: message.destination,
            esmClass: message.esmClass,
            dataCoding: message.dataCoding,
            userData: message.userData,
            tlvs: message.tlvs,
            now: now
        )
    }

    /// A message part arrived, given by its fields.
    public mutating func partReceived(
        source: Address,
        destination: Address,
        esmClass: ESMClass,
        dataCoding: DataCoding,
        userData: ByteBuffer,
        tlvs: TLVs,
        now: ContinuousClock.Instant
    ) throws(UserDataHeaderError) -> Outcome {
        var header: UserDataHeader?
        var body = userData
        let concatenation: ConcatenationInfo?
        if esmClass.hasUDHI {
            let split = try UserDataHeader.split(userData)
            header = split.header
            body = split.rest
            concatenation = split.header.concatenation
        } else {
            concatenation = ConcatenationInfo(sar: tlvs)
        }

        guard let concatenation, concatenation.total > 1 else {
            let part = ReassembledMessage.Part(
                sequence: 1,
                header: header,
                userData: body,
                dataCoding: dataCoding,
                esmClass: esmClass
            )
            let message = ReassembledMessage(
                source: source,
                destination: destination,
                reference: concatenation?.reference,
                total: 1,
                parts: [part],
                firstReceived: now
            )
            return Outcome(action: .deliver(message), evicted: nil)
        }

        let key = Key(
            source: source,
            destination: destination,
            reference: concatenation.reference,
            total: concatenation.total
        )
        let sequence = concatenation.sequence
        if self.completed[key] != nil {
            return Outcome(action: .dropDuplicate(key, sequence: sequence, identical: nil), evicted: nil)
        }
        // Copy: the PDU's bytes are usually a slice of a much larger read buffer.
        let part = ReassembledMessage.Part(
            sequence: sequence,
            header: header,
            userData: ByteBuffer(bytes: body.readableBytesView),
            dataCoding: dataCoding,
            esmClass: esmClass
        )

        if var set = self.pending[key] {
            let slot = Int(sequence) - 1
            if let existing = set.parts[slot] {
                return Outcome(
                    action: .dropDuplicate(key, sequence: sequence, identical: existing.userData == part.userData),
                    evicted: nil
                )
            }
            set.parts[slot] = part
            set.received += 1
            if set.received == set.parts.count {
                self.pending[key] = nil
                self.rememberCompletion(of: key, now: now)
                return Outcome(action: .deliver(self.message(key: key, set: set)), evicted: nil)
            }
            let received = set.received
            self.pending[key] = set
            return Outcome(action: .wait(key, received: received), evicted: nil)
        }

        var evicted: ReassembledMessage?
        if self.pending.count >= self.configuration.maximumPendingSets {
            evicted = self.removeOldest()
        }
        var parts = [ReassembledMessage.Part?](repeating: nil, count: Int(concatenation.total))
        parts[Int(sequence) - 1] = part
        self.nextID &+= 1
        self.pending[key] = PendingSet(id: self.nextID, firstReceived: now, parts: parts, received: 1)
        self.arrivals.append(QueueEntry(key: key, id: self.nextID, instant: now))
        self.compactArrivals()
        return Outcome(action: .wait(key, received: 1), evicted: evicted)
    }

    /// The timer fired: removes and returns, oldest first, every incomplete set whose first part
    /// arrived at least one timeout before `now`, with the parts that arrived. Also forgets
    /// completed sets older than one timeout.
    public mutating func expire(now: ContinuousClock.Instant) -> [ReassembledMessage] {
        let deadline = now - self.configuration.timeout
        var expired: [ReassembledMessage] = []
        while self.arrivalsHead < self.arrivals.count {
            let entry = self.arrivals[self.arrivalsHead]
            guard let set = self.pending[entry.key], set.id == entry.id else {
                self.arrivalsHead += 1
                continue
            }
            guard set.firstReceived <= deadline else { break }
            self.arrivalsHead += 1
            self.pending[entry.key] = nil
            expired.append(self.message(key: entry.key, set: set))
        }
        while self.completionsHead < self.completions.count {
            let entry = self.completions[self.completionsHead]
            guard self.completed[entry.key] == entry.id else {
                self.completionsHead += 1
                continue
            }
            guard entry.instant <= deadline else { break }
            self.completionsHead += 1
            self.completed[entry.key] = nil
        }
        self.compactArrivals()
        self.compactCompletions()
        return expired
    }

    // MARK: - Internals

    private func message(key: Key, set: PendingSet) -> ReassembledMessage {
        ReassembledMessage(
            source: key.source,
            destination: key.destination,
            reference: key.reference,
            total: Int(key.total),
            parts: set.parts.compactMap(\.self),
            firstReceived: set.firstReceived
        )
    }

    /// Removes the set whose first part arrived first.
    private mutating func removeOldest() -> ReassembledMessage? {
        while self.arrivalsHead < self.arrivals.count {
            let entry = self.arrivals[self.arrivalsHead]
            self.arrivalsHead += 1
            if let set = self.pending[entry.key], set.id == entry.id {
                self.pending[entry.key] = nil
                return self.message(key: entry.key, set: set)
            }
        }
        return nil
    }

    private mutating func rememberCompletion(of key: Key, now: ContinuousClock.Instant) {
        self.nextID &+= 1
        self.completed[key] = self.nextID
        self.completions.append(QueueEntry(key: key, id: self.nextID, instant: now))
        // Bound the memory of completed keys like that of pending sets.
        let live = self.completed.count
        if live > self.configuration.maximumPendingSets {
            while self.completionsHead < self.completions.count {
                let entry = self.completions[self.completionsHead]
                self.completionsHead += 1
                if self.completed[entry.key] == entry.id {
                    self.completed[entry.key] = nil
                    break
                }
            }
        }
        self.compactCompletions()
    }

    /// Drops consumed and stale queue entries once they outnumber the live ones.
    private mutating func compactArrivals() {
        let stale = self.arrivals.count - self.pending.count
        guard stale > 64, stale > self.pending.count else { return }
        let pending = self.pending
        self.arrivals = self.arrivals[self.arrivalsHead...].filter { pending[$0.key]?.id == $0.id }
        self.arrivalsHead = 0
    }

    private mutating func compactCompletions() {
        let stale = self.completions.count - self.completed.count
        guard stale > 64, stale > self.completed.count else { return }
        let completed = self.completed
        self.completions = self.completions[self.completionsHead...].filter { completed[$0.key] == $0.id }
        self.completionsHead = 0
    }
}
