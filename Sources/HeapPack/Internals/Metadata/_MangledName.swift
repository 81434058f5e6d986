/// A mangled type name as stored in reflection records: NUL-terminated, with embedded
/// symbolic references (0x01–0x17 + 4 bytes, 0x18–0x1F + 8 bytes) that are only valid in place.
struct _MangledName {
    let start: UnsafePointer<CChar>
    let length: Int

    init(_ pointer: UnsafeRawPointer) {
        let bytes = pointer.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while true {
            let byte = bytes[i]
            if byte == 0 { break }
            if byte >= 0x01 && byte <= 0x17 { i += 5 } else if byte >= 0x18 && byte <= 0x1F { i += 9 } else { i += 1 }
        }
        start = pointer.assumingMemoryBound(to: CChar.self)
        length = i
    }

    /// The name's plain-text characters (symbolic references dropped), for suffix checks and
    /// messages.
    var plainText: String {
        let bytes = UnsafeRawPointer(start).assumingMemoryBound(to: UInt8.self)
        var text = [UInt8]()
        var i = 0
        while i < length {
            let byte = bytes[i]
            if byte >= 0x01 && byte <= 0x17 { i += 5; text.append(UInt8(ascii: "$")); continue }
            if byte >= 0x18 && byte <= 0x1F { i += 9; text.append(UInt8(ascii: "$")); continue }
            text.append(byte)
            i += 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reference-storage suffixes: `weak` (Xw), `unowned` (Xo), `unowned(unsafe)` (Xu). The
    /// runtime resolves such names to the referent type, dropping the ownership, so the walker
    /// has to look at the name itself.
    var referenceStorage: ReferenceOwnership? {
        let text = plainText
        if text.hasSuffix("Xw") { return .weak }
        if text.hasSuffix("Xo") { return .unowned }
        if text.hasSuffix("Xu") { return .unownedUnsafe }
        return nil
    }

    /// The context descriptor when the whole name is one direct symbolic reference (0x01).
    var directDescriptor: UnsafeRawPointer? {
        let bytes = UnsafeRawPointer(start)
        guard length == 5, bytes.load(as: UInt8.self) == 0x01 else { return nil }
        return _relative(bytes, 1)
    }

    /// For messages: a lone symbolic reference is shown as its descriptor's name.
    var displayName: String {
        directDescriptor.map { _TypeContextDescriptor($0).name } ?? plainText
    }

    /// SIL box types name the box of a captured `var`: one strong reference. `...Xx` is a box
    /// of a concrete type, `...XX` one with a generic layout.
    var isSILBox: Bool {
        let text = plainText
        return text.hasSuffix("Xx") || text.hasSuffix("XX")
    }

    /// Whether a SIL function type (see `silFunctionIsThick`) is async: its attributes hold
    /// `H` (ASYNC in the mangling grammar), so its value is an AsyncFunctionPointer record.
    var silFunctionIsAsync: Bool {
        let text = Array(plainText.utf8)
        guard text.last == UInt8(ascii: "_"), let marker = text.lastIndex(of: UInt8(ascii: "I")) else { return false }
        return text[(marker + 1)..<(text.count - 1)].contains(UInt8(ascii: "H"))
    }

    /// SIL function types (`SiIegd_`): the capture of a reabstraction thunk. Returns whether
    /// the function is thick (function + context, 16 bytes) or nil if the name is not one.
    var silFunctionIsThick: Bool? {
        let text = Array(plainText.utf8)
        guard text.last == UInt8(ascii: "_"), let marker = text.lastIndex(of: UInt8(ascii: "I")) else { return nil }
        var attributes = text[(marker + 1)..<(text.count - 1)]
        guard attributes.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) else { return nil }
        if attributes.first == UInt8(ascii: "e") { attributes = attributes.dropFirst() }
        switch attributes.first {
        case UInt8(ascii: "y"), UInt8(ascii: "g"), UInt8(ascii: "x"):
            // A representation letter after the callee convention makes it thin.
            let representation = attributes.dropFirst().first
            if let r = representation, [UInt8(ascii: "B"), UInt8(ascii: "C"), UInt8(ascii: "M"),
                                       UInt8(ascii: "J"), UInt8(ascii: "K"), UInt8(ascii: "W")].contains(r) { return false }
            return true
        case UInt8(ascii: "t"): return false
        default: return nil
        }
    }
}
