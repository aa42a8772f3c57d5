/// A session's own sequence number counter: starts at 1, wraps from `0x7FFFFFFF` back to 1.
///
/// Each side of a session keeps its own; numbers are drawn when a request is sent, not when it is built.
public struct SequenceNumbers: Hashable, Sendable {
    /// The largest valid sequence number.
    public static let maximum: UInt32 = 0x7FFF_FFFF

    private var nextValue: UInt32

    /// A counter whose first number is `first` (1 unless a test wants to exercise the wrap).
    public init(first: UInt32 = 1) {
        precondition(first >= 1 && first <= Self.maximum, "sequence numbers run from 1 to 0x7FFFFFFF")
        self.nextValue = first
    }

    /// The next sequence number.
    public mutating func next() -> UInt32 {
        let value = self.nextValue
        self.nextValue = value == Self.maximum ? 1 : value + 1
        return value
    }
}
