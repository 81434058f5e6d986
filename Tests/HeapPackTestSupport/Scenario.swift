import HeapPack

/// One value that travels: how to build and pack it, and how to call what comes back. The
/// result is a one-line string so that two processes can compare answers.
///
/// Both sides take the `Packer` to use, so a test can route a scenario through a packer of its
/// own (with cold caches) instead of `Packer.shared`, and their options (an authentication key).
public struct Scenario: Sendable {
    public typealias Pack = @Sendable (Packer, PackOptions) throws(PackError) -> [UInt8]
    public typealias Run = @Sendable (Packer, [UInt8], UnpackOptions) throws(PackError) -> String

    public let name: String
    public let expected: String
    private let packWith: Pack
    private let runWith: Run
    private let describeWith: Run

    /// - Parameter describe: unpacks and describes the value without calling anything in it
    ///   (for the fuzzer, whose forged packets may name other functions); `run` when omitted.
    public init(name: String, expected: String, pack: @escaping Pack, run: @escaping Run, describe: Run? = nil) {
        self.name = name
        self.expected = expected
        self.packWith = pack
        self.runWith = run
        self.describeWith = describe ?? run
    }

    /// - Parameters:
    ///   - make: builds the value (in the writer; the reader never calls it).
    ///   - call: what to do with the value, on either side.
    public static func make<T>(_ name: String, expected: String, _ make: @escaping @Sendable () -> T,
                               call: @escaping @Sendable (T) -> String) -> Scenario {
        Scenario(name: name, expected: expected,
                 pack: { (packer: Packer, options: PackOptions) throws(PackError) -> [UInt8] in
                     let value = make()
                     return try withExtendedLifetime(value) { () throws(PackError) -> [UInt8] in
                         try packer.pack(value, options: options)
                     }
                 },
                 run: { (packer: Packer, bytes: [UInt8], options: UnpackOptions) throws(PackError) -> String in
                     call(try packer.unpack(bytes, as: T.self, options: options))
                 },
                 describe: { (packer: Packer, bytes: [UInt8], options: UnpackOptions) throws(PackError) -> String in
                     // `dump` reads every field of every object it reaches (cycles once), and
                     // calls no closure.
                     var text = ""
                     dump(try packer.unpack(bytes, as: T.self, options: options), to: &text, maxDepth: 64, maxItems: 10_000)
                     return text
                 })
    }

    /// Builds the value and packs it with `packer` and `options`.
    public func pack(with packer: Packer = .shared, options: PackOptions = .init()) throws(PackError) -> [UInt8] {
        try packWith(packer, options)
    }

    /// Unpacks `bytes` with `packer` and `options`, and calls what comes back.
    public func run(_ bytes: [UInt8], with packer: Packer = .shared,
                    options: UnpackOptions = .init()) throws(PackError) -> String {
        try runWith(packer, bytes, options)
    }

    /// Unpacks `bytes` with `packer` and `options`, and reads the whole value without calling
    /// any closure in it.
    public func describe(_ bytes: [UInt8], with packer: Packer = .shared,
                         options: UnpackOptions = .init()) throws(PackError) -> String {
        try describeWith(packer, bytes, options)
    }

    /// Runs the scenario locally: pack, unpack, call.
    public func roundTrip(with packer: Packer = .shared) throws(PackError) -> String {
        try run(try pack(with: packer), with: packer)
    }
}
