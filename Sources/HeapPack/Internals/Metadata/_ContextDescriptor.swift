/// `ContextDescriptor`: what every context descriptor (module, protocol, type, ...) starts
/// with. `_TypeContextDescriptor` continues it for nominal types.
struct _ContextDescriptor {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// Flags, then the relative pointer to the parent context.
    static let size = 8

    var flags: _ContextDescriptorFlags { _ContextDescriptorFlags(bits: pointer.load(as: UInt32.self)) }
}
