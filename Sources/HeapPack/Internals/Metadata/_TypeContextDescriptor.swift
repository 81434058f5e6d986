/// `TypeContextDescriptor`: what every nominal type descriptor starts with. The kind's own
/// fields follow (`_StructDescriptor`, `_EnumDescriptor`, `_ClassDescriptor`).
struct _TypeContextDescriptor: Equatable {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    /// `ContextDescriptor`'s fields, then Name, AccessFunction and Fields (relative pointers).
    static let size = _ContextDescriptor.size + 12

    var flags: _ContextDescriptorFlags { _ContextDescriptor(pointer).flags }
    /// The type's own (unqualified) name.
    var name: String {
        _relative(pointer, 8).map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "?"
    }
    /// The metadata access function, in the descriptor's image; nil if it has none.
    var accessFunction: UnsafeRawPointer? { _relative(pointer, 12) }
    /// The reflection field descriptor, nil when the module was built without reflection metadata.
    var fields: _FieldDescriptor? { _relative(pointer, 16).map(_FieldDescriptor.init) }

    /// The size of the kind's fixed fields (these fields included), where a generic context
    /// header follows; nil for a descriptor that is not a nominal type's.
    var fixedSize: Int? {
        switch flags.kind {
        case .class: _ClassDescriptor.fixedSize
        case .struct: _StructDescriptor.fixedSize
        case .enum: _EnumDescriptor.fixedSize
        case .module, .extension, .anonymous, .protocol, .opaqueType, nil: nil
        }
    }
}
