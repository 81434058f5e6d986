/// `ClassMetadata` without Objective-C interop: superclass, then the instance layout, then the
/// descriptor; members (generic arguments, field offsets, vtable) follow at offsets the class
/// descriptor gives.
struct _ClassMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    var superclass: UnsafeRawPointer? { metadata.pointer.load(fromByteOffset: 8, as: UnsafeRawPointer?.self) }
    /// The size of an instance without tail allocation (InstanceSize).
    var instanceSize: Int { Int(metadata.pointer.load(fromByteOffset: 24, as: UInt32.self)) }
    var instanceAlignMask: Int { Int(metadata.pointer.load(fromByteOffset: 28, as: UInt16.self)) }
    var description: _TypeContextDescriptor? {
        metadata.pointer.load(fromByteOffset: 40, as: UnsafeRawPointer?.self).map(_TypeContextDescriptor.init)
    }

    /// The stored-property offsets that `ancestor` (this class or a superclass) declares: one
    /// word each, in the vector its descriptor places in this metadata. Nil when the runtime
    /// stored no bounds for a class with a resilient superclass.
    func fieldOffsets(of ancestor: _ClassDescriptor) -> [Int]? {
        guard let vector = ancestor.fieldOffsetVectorOffset else { return nil }
        return (0..<ancestor.numFields).map { metadata.pointer.load(fromByteOffset: vector + $0 * 8, as: Int.self) }
    }

    /// The generic arguments of `ancestor` (this class or a superclass) in this metadata.
    func genericArguments(of ancestor: _ClassDescriptor) -> UnsafeRawPointer? {
        ancestor.genericArgumentOffset.map { metadata.pointer + $0 }
    }
}
