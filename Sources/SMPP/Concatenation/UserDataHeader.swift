public import NIOCore

/// A User Data Header (3GPP TS 23.040 §9.2.3.24): the information elements at the start of user data
/// whose esm_class has UDHI set.
///
/// On the wire: UDHL (one octet, the length of what follows), then each element as IEI, IEDL and
/// IEDL octets of data. Typed views for concatenation and port addressing are in
/// `UserDataHeader+Elements.swift`.
public struct UserDataHeader: Hashable, Sendable {
    /// One information element: an identifier (IEI) and its data.
    public struct Element: Hashable, Sendable {
        /// The information element identifier (IEI).
        public var identifier: UInt8
        /// At most 255 octets.
        public var data: [UInt8]

        public init(identifier: UInt8, data: [UInt8]) {
            self.identifier = identifier
            self.data = data
        }
    }

    /// The elements in wire order.
    public var elements: [Element]

    public init(elements: [Element] = []) {
        self.elements = elements
    }

    /// The encoded size in octets, UDHL included.
    public var encodedLength: Int {
        self.elements.reduce(1) { $0 + 2 + $1.data.count }
    }

    /// Writes UDHL and the elements to `buffer`.
    ///
    /// - Throws: ``UserDataHeaderError/elementTooLong(identifier:length:)`` or
    ///   ``UserDataHeaderError/headerTooLong(length:)``; nothing is written then.
    public func write(to buffer: inout ByteBuffer) throws(UserDataHeaderError) {
        try self.validate()
        buffer.writeInteger(UInt8(self.encodedLength - 1))
        for element in self.elements {
            buffer.writeMultipleIntegers(element.identifier, UInt8(element.data.count))
            buffer.writeBytes(element.data)
        }
    }

    /// The header as octets, UDHL included.
    public func encoded() throws(UserDataHeaderError) -> [UInt8] {
        try self.validate()
        var octets = [UInt8]()
        octets.reserveCapacity(self.encodedLength)
        octets.append(UInt8(self.encodedLength - 1))
        for element in self.elements {
            octets.append(element.identifier)
            octets.append(UInt8(element.data.count))
            octets.append(contentsOf: element.data)
        }
        return octets
    }

    /// Splits user data that starts with a UDH into the parsed header and the octets after it.
    ///
    /// The rest is a slice of `userData` (no copy). Elements are not interpreted here; a
    /// concatenation element with impossible numbers is simply not reported by ``concatenation``.
    /// - Throws: ``UserDataHeaderError`` when UDHL or an element length runs past its bounds.
    public static func split(
        _ userData: ByteBuffer
    ) throws(UserDataHeaderError) -> (header: UserDataHeader, rest: ByteBuffer) {
        let bytes = userData.readableBytesView
        guard let first = bytes.first else { throw .missingHeader }
        let headerLength = Int(first)
        let available = bytes.count - 1
        guard headerLength <= available else {
            throw .headerLengthBeyondData(headerLength: headerLength, available: available)
        }
        var elements: [Element] = []
        var offset = 0
        let base = bytes.startIndex + 1
        while offset < headerLength {
            guard headerLength - offset >= 2 else { throw .truncatedElement(offset: offset) }
            let identifier = bytes[base + offset]
            let length = Int(bytes[base + offset + 1])
            let remaining = headerLength - offset - 2
            guard length <= remaining else {
                throw .elementLengthBeyondHeader(
                    identifier: identifier,
                    offset: offset,
                    length: length,
                    remaining: remaining
                )
            }
            let start = base + offset + 2
            elements.append(Element(identifier: identifier, data: Array(bytes[start..<(start + length)])))
            offset += 2 + length
        }
        let rest =
            userData.getSlice(at: userData.readerIndex + 1 + headerLength, length: available - headerLength)
            ?? ByteBuffer()
        return (UserDataHeader(elements: elements), rest)
    }

    private func validate() throws(UserDataHeaderError) {
        for element in self.elements where element.data.count > 255 {
            throw .elementTooLong(identifier: element.identifier, length: element.data.count)
        }
        let length = self.encodedLength
        guard length - 1 <= 255 else { throw .headerTooLong(length: length) }
    }
}
