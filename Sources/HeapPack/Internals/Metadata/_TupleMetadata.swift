/// `TupleTypeMetadata`: the element count and labels, then `{type, offset}` per element.
struct _TupleMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var numElements: Int { metadata.pointer.load(fromByteOffset: 8, as: Int.self) }

    private func element(_ index: Int) -> UnsafeRawPointer { metadata.pointer + 24 + index * 16 }
    func elementType(_ index: Int) -> _Metadata { _Metadata(element(index).load(as: UnsafeRawPointer.self)) }
    /// `Element::Offset` is StoredSize on Apple platforms but uint32_t elsewhere; the upper
    /// half of the word is padding with arbitrary contents.
    func elementOffset(_ index: Int) -> Int { Int(element(index).load(fromByteOffset: 8, as: UInt32.self)) }
}
