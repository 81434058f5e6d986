/// Settings for ``pack(_:as:options:)``.
public struct PackOptions: Sendable {
    /// The most heap objects one packet may hold; exceeding it throws `.limitExceeded`.
    public var maxObjects: Int = Int(UInt32.max - 1)
    /// Find every value that cannot travel in one pass instead of stopping at the first. The
    /// error then describes the first one and lists all of them in ``PackError/problems``.
    public var collectAllProblems: Bool = false

    public init(maxObjects: Int = Int(UInt32.max - 1), collectAllProblems: Bool = false) {
        self.maxObjects = maxObjects
        self.collectAllProblems = collectAllProblems
    }
}

/// Settings for ``unpack(_:as:options:)``.
public struct UnpackOptions: Sendable {
    /// The most heap objects a packet may make; more throws `.limitExceeded` before anything
    /// is built.
    public var maxObjects: Int = Int(UInt32.max - 1)
    /// Check the packet's checksum before reading it (on by default). Turning it off only makes
    /// sense for packets that already passed an integrity check of their own.
    public var verifyChecksum: Bool = true

    public init(maxObjects: Int = Int(UInt32.max - 1), verifyChecksum: Bool = true) {
        self.maxObjects = maxObjects
        self.verifyChecksum = verifyChecksum
    }
}
