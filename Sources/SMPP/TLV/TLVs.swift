internal import NIOCore

/// The optional parameters of a PDU, in wire order.
///
/// An ordered array, never a dictionary: encoding is deterministic and decode → encode keeps the
/// peer's order and bytes. Look-ups by tag return the first occurrence. Typed accessors for the
/// common standard tags are in `TLVs+Standard.swift`.
public struct TLVs: Hashable, Sendable, RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral {
    public var elements: [TLV]

    @inlinable
    public init() { self.elements = [] }

    @inlinable
    public init(_ elements: [TLV]) { self.elements = elements }

    @inlinable
    public init(arrayLiteral elements: TLV...) { self.elements = elements }

    @inlinable public var startIndex: Int { self.elements.startIndex }
    @inlinable public var endIndex: Int { self.elements.endIndex }

    @inlinable
    public subscript(position: Int) -> TLV {
        get { self.elements[position] }
        set { self.elements[position] = newValue }
    }

    /// The first TLV with this tag, if any.
    public subscript(tag: TLVTag) -> TLV? {
        self.elements.first { $0.tag == tag }
    }

    /// Whether a TLV with this tag is present.
    public func contains(_ tag: TLVTag) -> Bool {
        self.elements.contains { $0.tag == tag }
    }

    /// Appends a TLV (keeping any existing one with the same tag).
    public mutating func append(_ tlv: TLV) {
        self.elements.append(tlv)
    }

    /// Replaces the first TLV with the same tag in place (dropping later duplicates), or appends it when absent.
    public mutating func set(_ tlv: TLV) {
        guard let index = self.elements.firstIndex(where: { $0.tag == tlv.tag }) else {
            self.elements.append(tlv)
            return
        }
        self.elements[index] = tlv
        let rest = self.elements[(index + 1)...].filter { $0.tag != tlv.tag }
        self.elements.replaceSubrange((index + 1)..., with: rest)
    }

    /// Removes every TLV with this tag.
    public mutating func remove(_ tag: TLVTag) {
        self.elements.removeAll { $0.tag == tag }
    }

    /// The encoded size of all TLVs in octets (4 per TLV plus the values).
    public var encodedLength: Int {
        self.elements.reduce(0) { $0 + 4 + $1.value.readableBytes }
    }
}
