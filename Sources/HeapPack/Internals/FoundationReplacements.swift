import FoundationEssentials

/// Data's storage keeps a raw pointer to its bytes (and may share or deallocate them in custom
/// ways), so Data travels as its bytes and is rebuilt from them. The other Foundation value types
/// (Date, UUID, URL, Decimal, IndexSet) are built from parts that travel as they are.
extension Data: _Replaceable {
    static var _replacementType: Any.Type { [UInt8].self }

    static func _makeReplacement(of value: UnsafeRawPointer, at replacement: UnsafeMutableRawPointer) {
        replacement.initializeMemory(as: [UInt8].self, repeating: [UInt8](value.load(as: Data.self)), count: 1)
    }

    static func _restore(from replacement: UnsafeMutableRawPointer, into destination: UnsafeMutableRawPointer) {
        let bytes = replacement.assumingMemoryBound(to: [UInt8].self).move()
        destination.initializeMemory(as: Data.self, repeating: Data(bytes), count: 1)
    }

    static func _destroyReplacement(_ replacement: UnsafeMutableRawPointer) {
        replacement.assumingMemoryBound(to: [UInt8].self).deinitialize(count: 1)
    }
}
