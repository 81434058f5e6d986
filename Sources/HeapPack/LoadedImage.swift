/// A binary mapped into this process: the executable or a shared library.
///
/// Code and static-data pointers travel as offsets from an image's ``base``; the packet names
/// the image by ``buildID``, so only an identical binary can read it.
public struct LoadedImage: Sendable, Hashable {
    /// The load bias: where the image's address 0 is mapped in this process (differs per run
    /// under ASLR).
    public var base: UInt
    /// The path the loader reports ("" for the main executable on some systems).
    public var path: String
    /// The GNU build-id as lowercase hex, or "" if the image has none.
    public var buildID: String
}
