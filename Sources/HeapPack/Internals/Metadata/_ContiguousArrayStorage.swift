/// `_ContiguousArrayStorage<Element>`: the object header, `_ArrayBody` (count, then
/// capacity << 1 | flags), then the elements at their alignment. A standard-library layout,
/// not the runtime's, but read like one.
enum _ContiguousArrayStorage {
    static let countOffset = 16
    /// Header and `_ArrayBody`: where the elements start when they need no more alignment.
    static let headerSize = 32
}

extension _ContiguousArrayStorage {
    /// Empties `array`, whose first `moved` elements the caller has moved out of its (unique)
    /// storage: destroys the others and sets the storage's count to 0, so that releasing it
    /// destroys nothing twice. What a rebuild that takes elements out of an unpacked array uses
    /// instead of copying each one and destroying the array after.
    static func removeAll<Element>(afterMoving moved: Int, from array: inout [Element]) {
        guard !array.isEmpty else { return }  // the empty-array singleton: nothing was moved
        array.withUnsafeMutableBufferPointer { buffer in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[moved...]).deinitialize()
        }
        // An Array is one reference to its storage.
        let storage = withUnsafeBytes(of: &array) { $0.load(as: UnsafeMutableRawPointer.self) }
        storage.storeBytes(of: 0, toByteOffset: countOffset, as: Int.self)
    }
}
