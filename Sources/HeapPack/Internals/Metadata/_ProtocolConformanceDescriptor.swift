/// `ProtocolConformanceDescriptor`.
struct _ProtocolConformanceDescriptor {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// A relative indirectable pointer: the protocol may live in another image.
    var protocolDescriptor: UnsafeRawPointer { _relativeIndirectable(pointer) }
}
