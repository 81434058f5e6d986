import CHeapPack
import Glibc
@testable import HeapPack
import Testing

// A nominal type-table entry is an image offset the packet chooses. Before the decoder reads a
// descriptor there, every byte it will read must lie in the image: for a generic class that is
// the fixed fields and the generic header, 60 bytes, more than the 52 once checked.

private final class GenericObject<T> { var value: T; init(_ value: T) { self.value = value } }
private final class PlainObject { var value = 0 }
private struct GenericValue<T> { var value: T }

@Suite("Type-table bounds")
struct TypeTableBoundsTests {
    @Test("the span checked for a type descriptor covers its fixed fields and generic header")
    func descriptorSpans() throws {
        func span(_ type: Any.Type) throws -> Int? {
            _GenericShape.span(of: try #require(_Metadata(type).typeDescriptor))
        }
        #expect(try span(GenericObject<Int>.self) == 44 + 16)
        #expect(try span(PlainObject.self) == 44)
        #expect(try span(GenericValue<Int>.self) == 28 + 16)
        #expect(try span(Int.self) == 28)
        #expect(try span(FloatingPointSign.self) == 28)
    }

    @Test("a nominal entry whose generic header would lie past its segment is malformed, not read")
    func nominalEntryAtSegmentEnd() throws {
        // One readable page standing in for an image's file-backed segment, then a page that
        // faults if read: a descriptor in the page's last 52 bytes would have its header there.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, 2 * page) }
        #expect(mprotect(mapping + page, page, PROT_NONE) == 0)
        let offset = page - 52
        let descriptor = mapping + offset
        // A generic class descriptor whose access function is in the same "image".
        descriptor.storeBytes(of: UInt32(0x80 | 16), as: UInt32.self)
        descriptor.storeBytes(of: Int32(-(offset + 12)), toByteOffset: 12, as: Int32.self)
        #expect(_TypeContextDescriptor(UnsafeRawPointer(descriptor)).flags.kind == .class)

        let engine = _Engine()
        let images = try engine.images()
        let real = images.table.pointee
        var image = real.images![0]
        image.base = UInt(bitPattern: mapping)
        var segment = hp_segment(start: UInt(bitPattern: mapping), end: UInt(bitPattern: mapping) + UInt(page), image: 0)
        let error = withUnsafeMutablePointer(to: &image) { image in
            withUnsafeMutablePointer(to: &segment) { segment in
                images.table.pointee = hp_image_table(images: image, image_count: 1, segments: segment, segment_count: 1,
                                                      entries: nil)
                defer { images.table.pointee = real }
                // The fake image is in effect, and the old 52-byte check would have passed.
                #expect(images.resolve(image: 0, offset: UInt64(offset), span: 52) == UnsafeRawPointer(descriptor))
                return packError {
                    _ = try engine.resolveTypes([.nominal(image: 0, offset: UInt64(offset), arguments: [], witnessTables: [])],
                                                [0], images)
                }
            }
        }
        #expect(error?.code == .malformed)
        #expect(error?.message == "a type-table entry does not point at a type descriptor in this binary")
    }
}
