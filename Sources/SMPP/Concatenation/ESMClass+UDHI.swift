extension ESMClass {
    /// This class with the UDHI bit set or cleared.
    func settingUDHI(_ udhi: Bool) -> ESMClass {
        ESMClass(rawValue: udhi ? self.rawValue | Self.udhi.rawValue : self.rawValue & ~Self.udhi.rawValue)
    }
}
