/// `ExistentialMetatypeMetadata`: the instance type, then the existential flags.
struct _ExistentialMetatypeMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var instanceType: _Metadata { _Metadata(metadata.pointer.load(fromByteOffset: 8, as: UnsafeRawPointer.self)) }
    var flags: _ExistentialTypeFlags { _ExistentialTypeFlags(bits: metadata.pointer.load(fromByteOffset: 16, as: UInt32.self)) }

    /// A value of it: the metatype, then one witness table per protocol.
    static func containerSize(witnessCount: Int) -> Int { 8 + 8 * witnessCount }
}
