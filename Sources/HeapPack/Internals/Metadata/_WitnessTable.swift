/// A witness table as far as it names its conformance: word 0 is the
/// `ProtocolConformanceDescriptor`, whose first field refers to the protocol.
struct _WitnessTable {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    var conformance: _ProtocolConformanceDescriptor? {
        pointer.load(as: UnsafeRawPointer?.self).map(_ProtocolConformanceDescriptor.init)
    }
}
