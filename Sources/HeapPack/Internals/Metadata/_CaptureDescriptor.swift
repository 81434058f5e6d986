/// `CaptureDescriptor` (RemoteInspection's Records.h): three counts, then a `CaptureTypeRecord`
/// per capture and a `MetadataSourceRecord` per metadata source. The bindings it counts are
/// words at the start of the context, before the captures.
struct _CaptureDescriptor {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }

    private static let headerSize = 12
    var numCaptureTypes: Int { Int(pointer.load(as: UInt32.self)) }
    var numMetadataSources: Int { Int(pointer.load(fromByteOffset: 4, as: UInt32.self)) }
    var numBindings: Int { Int(pointer.load(fromByteOffset: 8, as: UInt32.self)) }

    /// The mangled type name of capture `index`; nil when it has none.
    func captureTypeName(_ index: Int) -> _MangledName? {
        _relative(pointer, Self.headerSize + index * 4).map(_MangledName.init)
    }

    /// Metadata source `index`: the generic parameter it names and the mangled source string
    /// saying where that parameter's metadata is found; nil when either is missing.
    func metadataSource(_ index: Int) -> (parameter: _MangledName, source: _MangledName)? {
        let record = pointer + Self.headerSize + 4 * numCaptureTypes + 8 * index
        guard let parameter = _relative(record, 0), let source = _relative(record, 4) else { return nil }
        return (_MangledName(parameter), _MangledName(source))
    }
}
