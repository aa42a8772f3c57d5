// Typed views of the information elements the gateway uses: concatenation (0x00, 0x08) and
// application port addressing (0x04, 0x05).

extension UserDataHeader.Element {
    /// IEI 0x00: concatenated short message, 8-bit reference.
    public static let concatenation8BitIdentifier: UInt8 = 0x00
    /// IEI 0x04: application port addressing, 8-bit ports.
    public static let applicationPorts8BitIdentifier: UInt8 = 0x04
    /// IEI 0x05: application port addressing, 16-bit ports.
    public static let applicationPorts16BitIdentifier: UInt8 = 0x05
    /// IEI 0x08: concatenated short message, 16-bit reference.
    public static let concatenation16BitIdentifier: UInt8 = 0x08

    /// A concatenation element with an 8-bit reference: `00 03 RR TT NN`.
    public static func concatenation(reference: UInt8, total: UInt8, sequence: UInt8) -> Self {
        Self(identifier: Self.concatenation8BitIdentifier, data: [reference, total, sequence])
    }

    /// A concatenation element with a 16-bit reference: `08 04 RH RL TT NN`.
    public static func concatenation(reference16 reference: UInt16, total: UInt8, sequence: UInt8) -> Self {
        Self(
            identifier: Self.concatenation16BitIdentifier,
            data: [UInt8(reference >> 8), UInt8(truncatingIfNeeded: reference), total, sequence]
        )
    }

    /// A port addressing element: 8-bit (`04 02 DD OO`) when `ports.is16Bit` is false and both ports
    /// fit an octet, else 16-bit (`05 04 DDDD OOOO`).
    public static func applicationPorts(_ ports: ApplicationPorts) -> Self {
        if !ports.is16Bit, ports.destination <= 0xFF, ports.originator <= 0xFF {
            return Self(
                identifier: Self.applicationPorts8BitIdentifier,
                data: [UInt8(ports.destination), UInt8(ports.originator)]
            )
        }
        return Self(
            identifier: Self.applicationPorts16BitIdentifier,
            data: [
                UInt8(ports.destination >> 8), UInt8(truncatingIfNeeded: ports.destination),
                UInt8(ports.originator >> 8), UInt8(truncatingIfNeeded: ports.originator),
            ]
        )
    }

    /// The concatenation numbers of a well-formed 0x00 (IEDL 3) or 0x08 (IEDL 4) element whose
    /// numbers are valid (see ``ConcatenationInfo/isValid``).
    public var concatenation: ConcatenationInfo? {
        let info: ConcatenationInfo
        switch (self.identifier, self.data.count) {
        case (Self.concatenation8BitIdentifier, 3):
            info = ConcatenationInfo(reference: UInt16(self.data[0]), total: self.data[1], sequence: self.data[2])
        case (Self.concatenation16BitIdentifier, 4):
            info = ConcatenationInfo(
                reference: UInt16(self.data[0]) << 8 | UInt16(self.data[1]),
                total: self.data[2],
                sequence: self.data[3]
            )
        default:
            return nil
        }
        return info.isValid ? info : nil
    }

    /// The ports of a well-formed 0x04 (IEDL 2) or 0x05 (IEDL 4) element.
    public var applicationPorts: ApplicationPorts? {
        switch (self.identifier, self.data.count) {
        case (Self.applicationPorts8BitIdentifier, 2):
            ApplicationPorts(destination: UInt16(self.data[0]), originator: UInt16(self.data[1]), is16Bit: false)
        case (Self.applicationPorts16BitIdentifier, 4):
            ApplicationPorts(
                destination: UInt16(self.data[0]) << 8 | UInt16(self.data[1]),
                originator: UInt16(self.data[2]) << 8 | UInt16(self.data[3]),
                is16Bit: true
            )
        default:
            nil
        }
    }
}

extension UserDataHeader {
    /// The concatenation numbers of the header's last valid concatenation element (23.040 says a
    /// repeated element's last occurrence wins), or `nil`.
    public var concatenation: ConcatenationInfo? {
        self.elements.lazy.reversed().compactMap(\.concatenation).first
    }

    /// The ports of the header's last well-formed port addressing element, or `nil`.
    public var applicationPorts: ApplicationPorts? {
        self.elements.lazy.reversed().compactMap(\.applicationPorts).first
    }
}
