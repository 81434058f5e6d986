/// `HeapLocalVariableMetadata` (kind 0x400): closure contexts and the boxes of captured
/// `var`s, whose layout the capture descriptor gives.
struct _HeapLocalVariableMetadata {
    let metadata: _Metadata
    init(_ metadata: _Metadata) { self.metadata = metadata }

    /// OffsetToFirstCapture: where the bindings, then the captures, start in the object.
    var offsetToFirstCapture: Int { Int(metadata.pointer.load(fromByteOffset: 8, as: UInt32.self)) }
    /// Nil when the module was built without reflection metadata.
    var captureDescriptor: _CaptureDescriptor? {
        metadata.pointer.load(fromByteOffset: 16, as: UnsafeRawPointer?.self).map(_CaptureDescriptor.init)
    }
}
