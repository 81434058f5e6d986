/// The kinds of `include/swift/ABI/MetadataKind.def`, with their values on platforms without
/// Objective-C interop. Every switch over a kind lists them all, so a kind that cannot occur
/// somewhere is said to be impossible there rather than hidden behind `default:`.
enum _MetadataKind: UInt, CaseIterable {
    case `class` = 0
    case `struct` = 0x200
    case `enum` = 0x201
    case optional = 0x202
    case foreignClass = 0x203
    case foreignReferenceType = 0x204
    case opaque = 0x300
    case tuple = 0x301
    case function = 0x302
    case existential = 0x303
    case metatype = 0x304
    case objcClassWrapper = 0x305
    case existentialMetatype = 0x306
    case extendedExistential = 0x307
    case fixedArray = 0x308
    case heapLocalVariable = 0x400
    case heapGenericLocalVariable = 0x500
    case errorObject = 0x501
    case task = 0x502
    case job = 0x503

    /// `LastEnumeratedMetadataKind`: a larger kind word is an isa pointer, so the metadata is a
    /// class's.
    static let lastEnumerated: UInt = 0x7FF

    /// The kind a metadata record's first word names, or nil for a value MetadataKind.def does
    /// not list (misread or foreign metadata).
    init?(word: UInt) {
        if word > Self.lastEnumerated {
            self = .class
        } else if let kind = _MetadataKind(rawValue: word) {
            self = kind
        } else {
            return nil
        }
    }

    /// Type metadata (MetadataKindIsNonType clear): it has value witnesses, so a value of it
    /// has a size. Boxes, closure contexts, error objects, tasks and jobs do not.
    var isType: Bool {
        switch self {
        case .class, .struct, .enum, .optional, .foreignClass, .foreignReferenceType, .opaque, .tuple, .function,
             .existential, .metatype, .objcClassWrapper, .existentialMetatype, .extendedExistential, .fixedArray:
            true
        case .heapLocalVariable, .heapGenericLocalVariable, .errorObject, .task, .job:
            false
        }
    }

    /// Kinds whose metadata points at a nominal type descriptor.
    var isNominal: Bool {
        switch self {
        case .class, .struct, .enum, .optional:
            true
        case .foreignClass, .foreignReferenceType, .opaque, .tuple, .function, .existential, .metatype,
             .objcClassWrapper, .existentialMetatype, .extendedExistential, .fixedArray, .heapLocalVariable,
             .heapGenericLocalVariable, .errorObject, .task, .job:
            false
        }
    }
}
