import CHeapPack

/// The shim's writer, read through its accessors: its state is private to the C side, so this
/// is the one place that knows how to ask it for results and failure sites.
struct _ShimPacker {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    var site: hp_site { hp_packer_site(handle) }

    /// The (plan, op) steps that enclose the failure site, outermost first.
    var sitePath: UnsafeBufferPointer<hp_step> {
        var depth: UInt32 = 0
        let steps = hp_packer_site_path(handle, &depth)
        return UnsafeBufferPointer(start: steps, count: steps == nil ? 0 : Int(depth))
    }

    var objectCount: UInt32 { hp_packer_object_count(handle) }

    /// Object `index`: the object, its plan, and which object (and which op and element of it)
    /// first referenced it; for a closure's context the origin also holds the closure's code pointer.
    func object(_ index: UInt32) -> (object: UnsafeRawPointer, plan: UnsafePointer<hp_plan>?, origin: hp_origin) {
        var plan: UnsafePointer<hp_plan>?
        var origin = hp_origin()
        let object = hp_packer_object(handle, index, &plan, &origin)
        return (object, plan, origin)
    }

    /// The type table in index order: metadata, or the per-instance plan of a generic closure
    /// context (`instance`), whose key it is.
    var types: [(key: UnsafeRawPointer, instance: UnsafePointer<hp_plan>?)] {
        (0..<hp_packer_type_count(handle)).map { index in
            var instance: UnsafePointer<hp_plan>?
            let type = hp_packer_type(handle, index, &instance)
            return (instance.map(UnsafeRawPointer.init) ?? type, instance)
        }
    }

    /// The table images the packet uses, in packet order.
    var imagesUsed: [UInt32] {
        var count: UInt32 = 0
        let images = hp_packer_images_used(handle, &count)
        return Array(UnsafeBufferPointer(start: images, count: Int(count)))
    }

    /// The packet image index of table image `image`, added to the packet's list on first use.
    func imageSlot(_ image: UInt32) -> UInt32 { hp_packer_image_slot(handle, image) }

    func nameUsed(_ number: Int) -> Bool { hp_packer_name_used(handle, UInt32(number)) }

    var body: UnsafeRawBufferPointer {
        var length = 0
        let bytes = hp_packer_body(handle, &length)
        return UnsafeRawBufferPointer(start: bytes, count: length)
    }
}
