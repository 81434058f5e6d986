import CHeapPack

/// The shim's reader, read through its accessors: its state is private to the C side, so this
/// is the one place that knows how to ask it where it is.
struct _ShimUnpacker {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    /// Where a failed walk stopped, kept past the reader's lifetime.
    struct Failure {
        let site: hp_site
        /// Bytes from the start of the body.
        let offset: Int
    }

    /// After `hp_unpack` or `hp_inspect` returned: where it stopped.
    var failure: Failure { Failure(site: site, offset: offset) }

    var site: hp_site { hp_unpacker_site(handle) }
    var offset: Int { hp_unpacker_offset(handle) }

    /// The (plan, op) steps being read, outermost first and the innermost last.
    var trail: [hp_step] {
        var count: UInt32 = 0
        let steps = hp_unpacker_trail(handle, &count)
        let current = hp_unpacker_current(handle)
        return Array(UnsafeBufferPointer(start: steps, count: steps == nil ? 0 : Int(count)))
            + (current.plan == nil ? [] : [current])
    }

    /// The code pointer of the closure being read.
    var lastCode: UInt { hp_unpacker_last_code(handle) }

    var objectCount: UInt32 { hp_unpacker_object_count(handle) }

    /// An object met so far: its plan and its tail element count.
    func object(_ index: UInt32) -> (plan: UnsafePointer<hp_plan>?, count: UInt64) {
        var count: UInt64 = 0
        let plan = hp_unpacker_object_plan(handle, index, &count)
        return (plan, count)
    }
}
