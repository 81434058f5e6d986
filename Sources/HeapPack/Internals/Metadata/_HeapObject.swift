/// `HeapObject`: the metadata pointer and the reference counts come before every object's body.
enum _HeapObject {
    static let headerSize = 16

    /// Where a value of `alignMask` alignment starts after the header (a box's payload).
    static func bodyOffset(alignMask: Int) -> Int { (headerSize + alignMask) & ~alignMask }
}

extension _HeapObject {
    /// An object's first word: its (isa) metadata.
    static func metadata(of object: UnsafeRawPointer) -> UnsafeRawPointer { object.load(as: UnsafeRawPointer.self) }
}
