/// Settings for ``pack(_:as:options:)``.
public struct PackOptions: Sendable {
    /// The most heap objects one packet may hold; exceeding it throws `.limitExceeded`.
    public var maxObjects: Int = Int(UInt32.max - 1)
    /// Find every value that cannot travel in one pass instead of stopping at the first. The
    /// error then describes the first one and lists all of them in ``PackError/problems``.
    public var collectAllProblems: Bool = false
    /// A secret shared with the receivers, at least 32 bytes (say, 32 random bytes), or nil.
    /// With a key, the packet ends in an HMAC-SHA256 tag over all of it, and a receiver that
    /// unpacks with the same key (``UnpackOptions/authenticationKey``) refuses any packet not
    /// tagged with it. A shorter key throws `.invalidOptions` before anything is packed.
    public var authenticationKey: [UInt8]?

    public init(maxObjects: Int = Int(UInt32.max - 1), collectAllProblems: Bool = false,
                authenticationKey: [UInt8]? = nil) {
        self.maxObjects = maxObjects
        self.collectAllProblems = collectAllProblems
        self.authenticationKey = authenticationKey
    }
}

/// Settings for ``unpack(_:as:options:)``.
public struct UnpackOptions: Sendable {
    /// The most heap objects a packet may make; more throws `.limitExceeded` before anything
    /// is built.
    public var maxObjects: Int = Int(UInt32.max - 1)
    /// Check the packet's checksum before reading it (on by default). Turning it off only makes
    /// sense for packets that already passed an integrity check of their own. It never turns off
    /// the check of ``authenticationKey``; with a key, the tag, which covers the checksum, is
    /// that check, and the checksum is not computed again.
    public var verifyChecksum: Bool = true
    /// The key the writer packed with (``PackOptions/authenticationKey``), or nil.
    ///
    /// With a key, unpack first checks the packet's HMAC-SHA256 tag, in constant time and before
    /// it reads anything past the fixed header: a packet that is untagged, tagged with another
    /// key or changed in any byte throws `.unauthenticated`. This is what makes packets from
    /// an untrusted channel safe to read: only a holder of the key can choose what a packet
    /// builds, which classes it makes and which functions its closures call. Without a key, a
    /// tagged packet reads like any other and its tag proves nothing. A key shorter than 32
    /// bytes throws `.invalidOptions`.
    public var authenticationKey: [UInt8]?

    public init(maxObjects: Int = Int(UInt32.max - 1), verifyChecksum: Bool = true,
                authenticationKey: [UInt8]? = nil) {
        self.maxObjects = maxObjects
        self.verifyChecksum = verifyChecksum
        self.authenticationKey = authenticationKey
    }
}
