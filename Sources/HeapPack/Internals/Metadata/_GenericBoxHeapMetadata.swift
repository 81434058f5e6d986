/// `GenericBoxHeapMetadata` (kind 0x500): a box the runtime makes per boxed type.
struct _GenericBoxHeapMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var boxedType: _Metadata { _Metadata(metadata.pointer.load(fromByteOffset: 16, as: UnsafeRawPointer.self)) }
}
