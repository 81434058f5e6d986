/// `MetatypeMetadata`: the instance type after the kind.
struct _MetatypeMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var instanceType: _Metadata { _Metadata(metadata.pointer.load(fromByteOffset: 8, as: UnsafeRawPointer.self)) }
}
