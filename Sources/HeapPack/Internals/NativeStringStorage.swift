/// The standard library's native string storage class, for the shim to lay out strings longer
/// than a small string itself (`native_string.h`): through `String(decoding:as:)`, a
/// 50-byte String cost about 900 instructions to make, most of them validating and scanning
/// bytes the walk has already checked. Zero when a String the standard library makes here does
/// not look as the shim would make it, so that a runtime with another layout goes on through
/// `String(decoding:as:)`. Held as an address, since a pointer is not Sendable.
let _nativeStringStorageAddress: UInt = {
    // 33 ASCII bytes: no breadcrumbs (under 64), and 32 + 34 bytes rounded up to 80.
    var probe = String(decoding: Array(repeating: UInt8(ascii: "x"), count: 33), as: UTF8.self)
    return withUnsafeBytes(of: &probe) { string -> UInt in
        let countAndFlags = string.load(as: UInt64.self)
        let objectWord = string.load(fromByteOffset: 8, as: UInt64.self)
        guard countAndFlags == 0xF000_0000_0000_0000 | 33, objectWord >> 60 == 0,
              let storage = UnsafeRawPointer(bitPattern: UInt(objectWord)) else { return 0 }
        let capacityAndFlags = storage.load(fromByteOffset: 16, as: UInt64.self)
        guard capacityAndFlags == 80 - 32, storage.load(fromByteOffset: 24, as: UInt64.self) == countAndFlags,
              storage.load(fromByteOffset: 32 + 33, as: UInt8.self) == 0 else { return 0 }
        return storage.load(as: UInt.self)
    }
}()
