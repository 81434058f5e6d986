/// Types whose bits mean nothing in another process travel as a replacement value and are
/// rebuilt from it. Dictionary and Set are the reason: their storage is laid out by hash
/// values seeded per process (and per storage address), so a raw copy finds nothing.
///
/// The replacement is an ordinary value the engine walks with its usual plans; the walker
/// hands raw pointers to these static hooks, which the plan builder finds by a conformance
/// check on the replaced type's metadata.
protocol _Replaceable {
    /// The type of the replacement value.
    static var _replacementType: Any.Type { get }
    /// Initializes `replacement` from the value at `value` (which stays as it is).
    static func _makeReplacement(of value: UnsafeRawPointer, at replacement: UnsafeMutableRawPointer)
    /// Consumes the replacement and initializes `destination` with the rebuilt value. Must not
    /// trap on any replacement the packet can hold (duplicate keys, for one).
    static func _restore(from replacement: UnsafeMutableRawPointer, into destination: UnsafeMutableRawPointer)
    static func _destroyReplacement(_ replacement: UnsafeMutableRawPointer)
}

/// What a dictionary travels as: its keys and values, in matching order.
struct _DictionaryEntries<Key, Value> {
    var keys: [Key]
    var values: [Value]
}

extension Dictionary: _Replaceable {
    static var _replacementType: Any.Type { _DictionaryEntries<Key, Value>.self }

    static func _makeReplacement(of value: UnsafeRawPointer, at replacement: UnsafeMutableRawPointer) {
        replacement.initializeMemory(as: _DictionaryEntries<Key, Value>.self,
                                     repeating: _entries(of: value.load(as: Self.self)), count: 1)
    }

    // Unspecialized, Array(keys) and Array(values) went through the generic sequence copy, about
    // 320 instructions an entry of [Int: String] and two thirds of W7's pack (callgrind). One
    // specialized pass over the entries fills both arrays, in the same order. Its pairs are
    // _rebuilt's (an attribute list cannot be shared): keep the two lists alike.
    @_specialize(where Key == Int, Value == Int)
    @_specialize(where Key == Int, Value == String)
    @_specialize(where Key == Int, Value == Double)
    @_specialize(where Key == String, Value == Int)
    @_specialize(where Key == String, Value == String)
    @_specialize(where Key == String, Value == Double)
    @_specialize(where Key == String, Value == Bool)
    static func _entries(of dictionary: Self) -> _DictionaryEntries<Key, Value> {
        var keys: [Key] = [], values: [Value] = []
        keys.reserveCapacity(dictionary.count)
        values.reserveCapacity(dictionary.count)
        for (key, value) in dictionary {
            keys.append(key)
            values.append(value)
        }
        return _DictionaryEntries(keys: keys, values: values)
    }

    static func _restore(from replacement: UnsafeMutableRawPointer, into destination: UnsafeMutableRawPointer) {
        var entries = replacement.assumingMemoryBound(to: _DictionaryEntries<Key, Value>.self).move()
        destination.initializeMemory(as: Self.self, repeating: _rebuilt(from: &entries), count: 1)
    }

    // This code runs unspecialized, and every generic call it makes looks metadata up again:
    // a zip iterator and init(_:uniquingKeysWith:) cost about 3,300 instructions an entry, one
    // updateValue per pair of buffer elements about 1,200, the same loop specialized about 200
    // (callgrind, [Int: String]). So the key and value types most dictionaries have get a
    // specialized copy, which the generic entry point dispatches to; any other pair runs generic.
    // updateValue, not init(uniqueKeysWithValues:): a forged packet with duplicate keys must not
    // trap. Extra keys or values (a count mismatch) are ignored. Keys and values are moved out
    // of the unpacked arrays, not copied: a copy and its destruction with the array cost about
    // 45 instructions an entry of [Int: String].
    @_specialize(where Key == Int, Value == Int)
    @_specialize(where Key == Int, Value == String)
    @_specialize(where Key == Int, Value == Double)
    @_specialize(where Key == String, Value == Int)
    @_specialize(where Key == String, Value == String)
    @_specialize(where Key == String, Value == Double)
    @_specialize(where Key == String, Value == Bool)
    static func _rebuilt(from entries: inout _DictionaryEntries<Key, Value>) -> Self {
        // Taken out of `entries`, so that each array is uniquely referenced and never copied.
        var keys: [Key] = [], values: [Value] = []
        swap(&keys, &entries.keys)
        swap(&values, &entries.values)
        let count = Swift.min(keys.count, values.count)
        var dictionary = Self(minimumCapacity: count)
        keys.withUnsafeMutableBufferPointer { keys in
            values.withUnsafeMutableBufferPointer { values in
                for index in 0..<count {
                    dictionary.updateValue((values.baseAddress! + index).move(), forKey: (keys.baseAddress! + index).move())
                }
            }
        }
        _ContiguousArrayStorage.removeAll(afterMoving: count, from: &keys)
        _ContiguousArrayStorage.removeAll(afterMoving: count, from: &values)
        return dictionary
    }

    static func _destroyReplacement(_ replacement: UnsafeMutableRawPointer) {
        replacement.assumingMemoryBound(to: _DictionaryEntries<Key, Value>.self).deinitialize(count: 1)
    }
}

extension Set: _Replaceable {
    static var _replacementType: Any.Type { [Element].self }

    static func _makeReplacement(of value: UnsafeRawPointer, at replacement: UnsafeMutableRawPointer) {
        replacement.initializeMemory(as: [Element].self, repeating: _elements(of: value.load(as: Self.self)), count: 1)
    }

    // Specialized for the commonest elements, as Dictionary's entries are.
    @_specialize(where Element == Int)
    @_specialize(where Element == String)
    static func _elements(of set: Self) -> [Element] { Array(set) }

    static func _restore(from replacement: UnsafeMutableRawPointer, into destination: UnsafeMutableRawPointer) {
        var elements = replacement.assumingMemoryBound(to: [Element].self).move()
        destination.initializeMemory(as: Self.self, repeating: _rebuilt(from: &elements), count: 1)
    }

    // Specialized for the commonest elements, and moving them, as Dictionary's rebuild does.
    @_specialize(where Element == Int)
    @_specialize(where Element == String)
    static func _rebuilt(from elements: inout [Element]) -> Self {
        var set = Self(minimumCapacity: elements.count)
        let count = elements.count
        elements.withUnsafeMutableBufferPointer { elements in
            for index in 0..<count { set.insert((elements.baseAddress! + index).move()) }
        }
        _ContiguousArrayStorage.removeAll(afterMoving: count, from: &elements)
        return set
    }

    static func _destroyReplacement(_ replacement: UnsafeMutableRawPointer) {
        replacement.assumingMemoryBound(to: [Element].self).deinitialize(count: 1)
    }
}

/// The hooks a REPLACE op names: its `data.replaced_type` is the metatype of a `_Replaceable` type.
func _replaceable(_ type: UnsafeRawPointer?) -> (any _Replaceable.Type)? {
    type.flatMap { unsafeBitCast($0, to: Any.Type.self) as? any _Replaceable.Type }
}

/// Carries a user's PackReplaceable conformance into the engine's replacement hooks.
enum _UserReplacement<Value: PackReplaceable>: _Replaceable {
    static var _replacementType: Any.Type { Value.Packed.self }

    static func _makeReplacement(of value: UnsafeRawPointer, at replacement: UnsafeMutableRawPointer) {
        replacement.initializeMemory(as: Value.Packed.self, repeating: value.load(as: Value.self).packedReplacement(),
                                     count: 1)
    }

    static func _restore(from replacement: UnsafeMutableRawPointer, into destination: UnsafeMutableRawPointer) {
        let packed = replacement.assumingMemoryBound(to: Value.Packed.self).move()
        destination.initializeMemory(as: Value.self, repeating: Value.unpacked(from: packed), count: 1)
    }

    static func _destroyReplacement(_ replacement: UnsafeMutableRawPointer) {
        replacement.assumingMemoryBound(to: Value.Packed.self).deinitialize(count: 1)
    }
}

private func _userReplacement<Value: PackReplaceable>(_: Value.Type) -> any _Replaceable.Type {
    _UserReplacement<Value>.self
}

/// The replacement hooks for a type: its own (Dictionary, Set, Data) or a user's.
func _replacementHooks(for type: Any.Type) -> (any _Replaceable.Type)? {
    if let own = type as? any _Replaceable.Type { return own }
    if let user = type as? any PackReplaceable.Type { return _userReplacement(user) }
    return nil
}
