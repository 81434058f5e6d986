import CHeapPack
@testable import HeapPack
import Testing

// A closure's code pointer travels as (image, offset). The reader accepts only the entry of a
// function there: one byte further, the ELF header or read-only data would be "called" as code.

@Suite("Hostile packets: code pointers")
struct CodePointerTests {
    private struct Marker { var value = 1 }

    /// A closure as the root value, so that its body starts with the code pointer: varint
    /// (packet image + 1), varint offset. Its capture is not a constant -O could fold.
    private static func packet() throws -> (packet: ParsedPacket, image: UInt64, offset: UInt64, codeEnd: Int) {
        let captured = Int.random(in: 1...1000)
        let other = Int.random(in: 1...1000)
        let closure: () -> Int = { captured + other }
        let parsed = try ParsedPacket(try pack(closure))
        let slot = readVarint(parsed.body, at: 0)
        let offset = readVarint(parsed.body, at: slot.end)
        return (parsed, slot.value, offset.value, offset.end)
    }

    /// The packet with its closure's code pointer moved to `offset` in the same image.
    private static func moved(to offset: UInt64) throws -> [UInt8] {
        var (parsed, image, _, end) = try packet()
        parsed.body = varint(image) + varint(offset) + Array(parsed.body[end...])
        return parsed.bytes
    }

    private static func expectNotAnEntry(_ packet: [UInt8]) {
        let error = packError { _ = try unpack(packet, as: (() -> Int).self) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("is not the entry of a function in this binary") == true,
                "\(String(describing: error))")
    }

    @Test("the real code pointer is a function entry and the packet unpacks")
    func realEntry() throws {
        let (parsed, image, offset, _) = try Self.packet()
        #expect(image == 1)
        let copy = try unpack(parsed.bytes, as: (() -> Int).self)
        #expect(copy() > 1)
        let images = try _Engine().images()
        let address = try #require(images.resolve(image: 0, offset: offset, span: 1))
        #expect(images.isFunctionEntry(address))
        #expect(!images.isFunctionEntry(address + 1))
    }

    @Test("a code pointer one byte into its function is refused")
    func midFunction() throws {
        let (_, _, offset, _) = try Self.packet()
        Self.expectNotAnEntry(try Self.moved(to: offset + 1))
    }

    @Test("a code pointer to the ELF header is refused")
    func elfHeader() throws {
        // The main executable's first segment maps the file from byte 0: the ELF header.
        Self.expectNotAnEntry(try Self.moved(to: 0))
    }

    @Test("a code pointer to read-only data (a type descriptor) is refused")
    func readOnlyData() throws {
        let images = try _Engine().images()
        let descriptor = try #require(_Metadata(Marker.self).descriptor)
        let place = try #require(images.locate(descriptor))
        #expect(place.image == 0)
        Self.expectNotAnEntry(try Self.moved(to: place.offset))
    }

    /// A closure and an async closure, neither capturing anything: the body is each one's code
    /// pointer (varint image + 1, varint offset; for the async one, its AsyncFunctionPointer
    /// record's) and a null context, then the trailer's count.
    private struct Both { var code: () -> Int; var async: () async -> Int }

    private static func pointers(_ packet: ParsedPacket) throws -> (code: [UInt8], record: [UInt8]) {
        let codeEnd = readVarint(packet.body, at: readVarint(packet.body, at: 0).end).end
        let recordEnd = readVarint(packet.body, at: readVarint(packet.body, at: codeEnd + 1).end).end
        try #require(packet.body[codeEnd] == 0 && packet.body[recordEnd] == 0 && packet.body.count == recordEnd + 2)
        return (Array(packet.body[..<codeEnd]), Array(packet.body[(codeEnd + 1)..<recordEnd]))
    }

    @Test("a function entry is not taken for an async function's record, nor a record for code, once either was checked")
    func entriesAndRecordsAreNotConfused() async throws {
        var parsed = try ParsedPacket(try pack(Both(code: { 7 }, async: { 8 })))
        // The genuine packet first, so that both pointers have been found good before.
        let copy = try unpack(parsed.bytes, as: Both.self)
        #expect(copy.code() == 7)
        #expect(await copy.async() == 8)
        let (code, record) = try Self.pointers(parsed)
        for (first, second) in [(code, code), (record, record)] {
            parsed.body = first + [0] + second + [0, 0]
            let error = packError { _ = try unpack(parsed.bytes, as: Both.self) }
            #expect(error?.code == .malformed)
            #expect(error?.message.contains("is not the entry of a function in this binary") == true,
                    "\(String(describing: error))")
        }
    }

    @Test("an image table remembers function entries and async records apart")
    func entriesAndRecordsAreRememberedApart() throws {
        let (code, record) = try Self.pointers(try ParsedPacket(try pack(Both(code: { 7 }, async: { 8 }))))
        // A table of its own, which no other test has taught anything.
        let images = try _Engine().images()
        func address(_ pointer: [UInt8]) throws -> UInt {
            let image = readVarint(pointer, at: 0), offset = readVarint(pointer, at: image.end)
            try #require(image.value == 1)
            let resolved: UnsafeRawPointer = try #require(images.resolve(image: 0, offset: offset.value, span: 1))
            return UInt(bitPattern: resolved)
        }
        let entry = try address(code), asyncRecord = try address(record)
        // The second time, each good answer comes from what the table remembered.
        for _ in 0..<2 {
            #expect(hp_code_entry(images.table, entry))
            #expect(hp_async_function_entry(images.table, asyncRecord))
            #expect(!hp_async_function_entry(images.table, entry))
            #expect(!hp_code_entry(images.table, asyncRecord))
        }
    }
}
