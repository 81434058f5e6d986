/// The single error type of HeapPack.
///
/// Every failure of ``pack(_:as:options:)`` and ``unpack(_:as:options:)`` is a `PackError`. Its
/// ``code`` says what kind of problem it is; ``path`` says where in the value graph it sits,
/// and the remaining properties carry whatever context the problem has.
///
/// The codes keep apart what callers react to differently, following packman's distinction:
/// refused by design (``Code-swift.struct/nonTransferable``), not implemented
/// (``Code-swift.struct/unsupported``), wrong peer (``Code-swift.struct/binaryMismatch``,
/// ``Code-swift.struct/typeMismatch``), bad bytes (``Code-swift.struct/malformed``),
/// resource limits (``Code-swift.struct/limitExceeded``), forged or foreign packets
/// (``Code-swift.struct/unauthenticated``), the caller's own settings
/// (``Code-swift.struct/invalidOptions``) and HeapPack's own bugs
/// (``Code-swift.struct/internalInconsistency``).
public struct PackError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure. New codes can be added without breaking clients.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum _Kind: Hashable, Sendable {
            case nonTransferable, unsupported, binaryMismatch, typeMismatch, malformed, limitExceeded, unknownName
            case unauthenticated, invalidOptions
            case internalInconsistency
        }
        let _kind: _Kind

        /// The value reaches something bound to this process (a file handle, a lock, a thread,
        /// a raw pointer into the heap): copying it would be meaningless or dangerous.
        public static let nonTransferable = Code(_kind: .nonTransferable)
        /// The value uses a representation HeapPack does not handle (yet).
        public static let unsupported = Code(_kind: .unsupported)
        /// The packet was made by a different binary (build-ids differ).
        public static let binaryMismatch = Code(_kind: .binaryMismatch)
        /// The packet holds a different root type than the one asked for.
        public static let typeMismatch = Code(_kind: .typeMismatch)
        /// The bytes are truncated, corrupted or inconsistent.
        public static let malformed = Code(_kind: .malformed)
        /// A limit from ``PackOptions`` or ``UnpackOptions`` was exceeded.
        public static let limitExceeded = Code(_kind: .limitExceeded)
        /// The packet refers to a named object (``Packer/register(_:as:)``) that this process
        /// has not registered.
        public static let unknownName = Code(_kind: .unknownName)
        /// An unpack with ``UnpackOptions/authenticationKey`` got a packet whose authentication
        /// tag is missing or does not match: it was not written with that key, or bytes were
        /// changed since. Nothing past the packet's fixed header was read.
        public static let unauthenticated = Code(_kind: .unauthenticated)
        /// ``PackOptions`` or ``UnpackOptions`` hold a setting HeapPack cannot use, such as an
        /// authentication key shorter than 32 bytes. A mistake of the caller, not of the value or
        /// the packet: nothing was packed or read.
        public static let invalidOptions = Code(_kind: .invalidOptions)
        /// HeapPack met a state its own invariants rule out: a bug in HeapPack, not a property
        /// of the value or the packet. Please report it with the error's message and path.
        public static let internalInconsistency = Code(_kind: .internalInconsistency)

        public var description: String {
            switch _kind {
            case .nonTransferable: "nonTransferable"
            case .unsupported: "unsupported"
            case .binaryMismatch: "binaryMismatch"
            case .typeMismatch: "typeMismatch"
            case .malformed: "malformed"
            case .limitExceeded: "limitExceeded"
            case .unknownName: "unknownName"
            case .unauthenticated: "unauthenticated"
            case .invalidOptions: "invalidOptions"
            case .internalInconsistency: "internalInconsistency"
            }
        }
    }

    /// What kind of problem this is.
    public var code: Code
    /// Where in the value graph the problem sits, from the root, e.g.
    /// `root: () -> Int > closure > capture 1: Logger > .sink: FileHandle`. Empty for problems
    /// with the packet as a whole.
    public var path: String
    /// A sentence saying what went wrong and, where possible, what to do about it.
    public var message: String
    /// The name of the offending type, when there is one.
    public var typeName: String?
    /// For unpack errors: the byte offset in the packet where the problem was found.
    public var byteOffset: Int?
    /// For ``Code-swift.struct/binaryMismatch``: the build-id (hex) the packet expects, and the
    /// one this process has.
    public var expectedBuildID: String?
    public var foundBuildID: String?
    /// With ``PackOptions/collectAllProblems``: every problem found, each with its own path
    /// (this error is the first of them). Empty otherwise.
    public var problems: [PackError] = []

    public init(code: Code, path: String = "", message: String, typeName: String? = nil,
                byteOffset: Int? = nil, expectedBuildID: String? = nil, foundBuildID: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.typeName = typeName
        self.byteOffset = byteOffset
        self.expectedBuildID = expectedBuildID
        self.foundBuildID = foundBuildID
    }

    public var description: String {
        var text = "PackError.\(code)"
        if !path.isEmpty { text += " at \(path)" }
        text += ": \(message)"
        if let byteOffset { text += " (byte \(byteOffset))" }
        if let expectedBuildID { text += " [packet build-id \(expectedBuildID)" + (foundBuildID.map { ", this binary \($0)" } ?? "") + "]" }
        if problems.count > 1 {
            text += "\n\(problems.count) problems:" + problems.map { "\n  \($0.code) at \($0.path): \($0.message)" }.joined()
        }
        return text
    }
}

extension PackError {
    static func unsupported(_ message: String, type: String? = nil) -> PackError {
        PackError(code: .unsupported, message: message, typeName: type)
    }
    static func nonTransferable(_ message: String, type: String? = nil) -> PackError {
        PackError(code: .nonTransferable, message: message, typeName: type)
    }
    static func malformed(_ message: String, at offset: Int? = nil) -> PackError {
        PackError(code: .malformed, message: message, byteOffset: offset)
    }
    static func limit(_ message: String) -> PackError {
        PackError(code: .limitExceeded, message: message)
    }
    static func internalInconsistency(_ message: String) -> PackError {
        PackError(code: .internalInconsistency, message: message + " (a bug in HeapPack: please report it)")
    }
}
