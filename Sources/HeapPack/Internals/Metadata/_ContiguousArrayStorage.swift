/// `_ContiguousArrayStorage<Element>`: the object header, `_ArrayBody` (count, then
/// capacity << 1 | flags), then the elements at their alignment. A standard-library layout,
/// not the runtime's, but read like one.
enum _ContiguousArrayStorage {
    static let countOffset = 16
    /// Header and `_ArrayBody`: where the elements start when they need no more alignment.
    static let headerSize = 32
}
