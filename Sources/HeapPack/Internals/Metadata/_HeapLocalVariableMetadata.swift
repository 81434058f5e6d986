/// `HeapLocalVariableMetadata` (kind 0x400): closure contexts and the boxes of captured
/// `var`s, whose layout the capture descriptor gives.
struct _HeapLocalVariableMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    private static let captureDescriptionOffset = 16
    /// The whole record: the kind, OffsetToFirstCapture (padded to a word), CaptureDescription.
    static let size = captureDescriptionOffset + 8

    /// OffsetToFirstCapture: where the bindings, then the captures, start in the object.
    var offsetToFirstCapture: Int { Int(metadata.pointer.load(fromByteOffset: 8, as: UInt32.self)) }
    /// Nil when the module was built without reflection metadata.
    var captureDescriptor: _CaptureDescriptor? {
        metadata.pointer.load(fromByteOffset: Self.captureDescriptionOffset, as: UnsafeRawPointer?.self).map(_CaptureDescriptor.init)
    }
}
