import HeapPack

/// One value that travels: how to build and pack it, and how to call what comes back. The
/// result is a one-line string so that two processes can compare answers.
public struct Scenario: Sendable {
    public let name: String
    public let expected: String
    public let pack: @Sendable () throws(PackError) -> [UInt8]
    public let run: @Sendable ([UInt8]) throws(PackError) -> String

    public init(name: String, expected: String, pack: @escaping @Sendable () throws(PackError) -> [UInt8],
                run: @escaping @Sendable ([UInt8]) throws(PackError) -> String) {
        self.name = name
        self.expected = expected
        self.pack = pack
        self.run = run
    }

    /// - Parameters:
    ///   - make: builds the value (in the writer; the reader never calls it).
    ///   - call: what to do with the value, on either side.
    public static func make<T>(_ name: String, expected: String, _ make: @escaping @Sendable () -> T,
                               call: @escaping @Sendable (T) -> String) -> Scenario {
        Scenario(name: name, expected: expected,
                 pack: { () throws(PackError) -> [UInt8] in
                     let value = make()
                     return try withExtendedLifetime(value) { () throws(PackError) -> [UInt8] in try HeapPack.pack(value) }
                 },
                 run: { (bytes: [UInt8]) throws(PackError) -> String in call(try unpack(bytes, as: T.self)) })
    }

    /// Runs the scenario locally: pack, unpack, call.
    public func roundTrip() throws(PackError) -> String { try run(try pack()) }
}
