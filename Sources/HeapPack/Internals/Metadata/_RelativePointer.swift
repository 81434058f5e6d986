/// Follows a 32-bit relative pointer stored at `base + offset`; nil when it is zero.
func _relative(_ base: UnsafeRawPointer, _ offset: Int) -> UnsafeRawPointer? {
    let delta = base.loadUnaligned(fromByteOffset: offset, as: Int32.self)
    return delta == 0 ? nil : base + offset + Int(delta)
}

/// Follows a `RelativeIndirectablePointer` at `base`: bit 0 set means the target is the
/// address stored at the (aligned) offset, a GOT-like slot for a reference into another image.
func _relativeIndirectable(_ base: UnsafeRawPointer) -> UnsafeRawPointer {
    let relative = base.load(as: Int32.self)
    let target = base + Int(relative & ~1)
    return relative & 1 != 0 ? target.load(as: UnsafeRawPointer.self) : target
}
