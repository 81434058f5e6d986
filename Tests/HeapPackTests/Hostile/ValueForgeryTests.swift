import CHeapPack
import HeapPack
import Testing

/// Plain bytes that travel verbatim but are not all values of their type (docs/FORMAT.md,
/// "Checked plain bytes"): a Bool, an enum's tag, a Range's bounds, String.Index's caches. Each
/// forged packet is resealed as an attacker without a key would, and must now be refused (or
/// rebuilt), while the values it was made from still round-trip.
@Suite("Forged plain values")
struct ValueForgeryTests {
    enum Colour: UInt8 { case red, green, blue }

    /// Unpacks `body` under `packet`'s header (resealed, default options) and returns the error.
    func refusal<T>(_ packet: [UInt8], _ body: [UInt8], as type: T.Type) -> PackError? {
        packError { _ = try unpack(resealed(withBody(packet, body)), as: type) }
    }

    func expectNotAValue<T>(_ packet: [UInt8], _ body: [UInt8], as type: T.Type, _ name: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let error = refusal(packet, body, as: type)
        #expect(error?.code == .malformed, "\(name)", sourceLocation: sourceLocation)
        #expect(error?.message.contains("no value of their type") == true, "\(name): \(String(describing: error))",
                sourceLocation: sourceLocation)
    }

    struct Flags: Equatable { var on: Bool; var maybe: Bool?; var maybeMaybe: Bool?? }

    @Test("a Bool is 0 or 1, and an Optional Bool's nils take the values right after")
    func booleans() throws {
        let packet = try pack(Flags(on: true, maybe: nil, maybeMaybe: .some(nil)))
        // Three bytes (true; nil is 2; .some(nil) is 2, nil would be 3), then the empty trailer.
        #expect(bodyBytes(packet) == [1, 2, 2, 0])
        #expect(try unpack(resealed(withBody(packet, [0, 1, 3, 0])), as: Flags.self)
                == Flags(on: false, maybe: true, maybeMaybe: nil))
        for (name, body) in [("Bool 2", [2, 0, 0, 0]), ("Bool 0xFF", [0xFF, 0, 0, 0]),
                             ("Bool? 3", [0, 3, 0, 0]), ("Bool?? 4", [0, 0, 4, 0])] as [(String, [UInt8])] {
            expectNotAValue(packet, body, as: Flags.self, name)
        }
    }

    struct Paint: Equatable { var colour: Colour; var maybe: Colour?; var all: [Colour] }

    @Test("a no-payload enum's case index is below its case count")
    func caseIndices() throws {
        let packet = try pack(Paint(colour: .blue, maybe: nil, all: [.red, .green]))
        let body = bodyBytes(packet)
        // .blue is 2 and nil 3 (an extra inhabitant); then new storage (1, type 0, count 2) of red, green.
        #expect(Array(body.prefix(7)) == [2, 3, 1, 0, 2, 0, 1])
        #expect(try unpack(resealed(packet), as: Paint.self) == Paint(colour: .blue, maybe: nil, all: [.red, .green]))
        for (name, index, byte) in [("colour 3", 0, 3), ("Colour? 4", 1, 4), ("element 0xFF", 6, 0xFF)]
            as [(String, Int, UInt8)] {
            var forged = body
            forged[index] = byte
            expectNotAValue(packet, forged, as: Paint.self, name)
        }
    }

    enum Shape: Equatable { case circle(Double), square(Double), none }
    enum Small: Equatable { case a(UInt8), b(UInt8), c, d }

    struct Shapes: Equatable { var shape: Shape; var small: Small; var count: Int? }

    @Test("the tag of an enum of plain data names one of its cases, as its witnesses write it")
    func witnessCheckedTags() throws {
        let value = Shapes(shape: .square(2), small: .d, count: nil)
        let packet = try pack(value)
        let body = bodyBytes(packet)
        // Shape: 8 payload bytes, then its extra tag byte (1: .square). Small: 1 payload byte
        // (the empty case's index: 1 for .d), its tag byte (2: the empty cases). Then padding
        // (nothing on the wire), Int?: 8 bytes, its tag byte (1: nil), then the trailer.
        #expect(body.count == 8 + 1 + 2 + 9 + 1)
        #expect(body[8] == 1 && Array(body[9..<11]) == [1, 2] && body[19] == 1)
        #expect(try unpack(resealed(packet), as: Shapes.self) == value)
        func forging(_ changes: [Int: UInt8]) -> [UInt8] {
            var forged = body
            for (index, byte) in changes { forged[index] = byte }
            return forged
        }
        // .none (tag byte 2, empty-case index 0 in the payload bytes), .c, and 0 in place of nil.
        var others = Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, UInt8(0)) })
        others.merge([8: 2, 9: 0, 10: 2, 19: 0]) { $1 }
        #expect(try unpack(resealed(withBody(packet, forging(others))), as: Shapes.self)
                == Shapes(shape: .none, small: .c, count: 0))
        // Tag byte 3 would read as .none (the empty-case index is the payload's low 32 bits, the
        // zeros of 2.0) but is not how .none is written.
        for (name, changes) in [("Shape's tag byte 3", [8: 3]), ("Shape's tag byte 0xFF", [8: 0xFF]),
                                ("Small's empty-case index 2", [9: 2]), ("Small's tag byte 3", [10: 3]),
                                ("Int?'s tag byte 2", [19: 2]), ("nil with a payload", [11: 5])]
            as [(String, [Int: UInt8])] {
            expectNotAValue(packet, forging(changes), as: Shapes.self, name)
        }
    }

    enum Uneven: Equatable { case pair(Int, Int), byte(UInt8), none }

    @Test("bytes a shorter payload leaves do not travel: the writer sends zeros, the reader requires them")
    func bytesPastAShorterPayload() throws {
        // Overwritten in place, the byte case leaves the pair's bytes behind in the sender's memory.
        var values: [Uneven] = [.pair(-1, -1)]
        values[0] = .byte(3)
        let packet = try pack(values)
        let body = bodyBytes(packet)
        // New storage (1, type 0, count 1), then the element: 16 payload bytes and the tag byte 1.
        #expect(Array(body.prefix(3)) == [1, 0, 1])
        #expect(Array(body[3..<20]) == [3] + Array(repeating: 0, count: 15) + [1])
        #expect(try unpack(resealed(packet), as: [Uneven].self) == [.byte(3)])
        var forged = body
        forged[10] = 0xFF
        expectNotAValue(packet, forged, as: [Uneven].self, "a byte past the payload")
    }

    enum Wide: Equatable { case pair(Int, Int), byte(UInt8), flag(Bool), nothing, other }
    indirect enum Chain: Equatable { case end(Colour?), link(Colour, Chain) }

    struct Assorted: Equatable {
        var colours: [Colour??]
        var flags: [Bool]
        var counts: [Int?]
        var shapes: [Shape]
        var smalls: [Small]
        var wides: [Wide]
        var chain: Chain
        var result: Result<Int, Never>?
    }

    @Test("values of checked plain-data types still round-trip")
    func legitimateValuesRoundTrip() throws {
        let value = Assorted(colours: [.some(.some(.blue)), .some(nil), nil], flags: [true, false, true],
                             counts: [1, nil, -3, 0], shapes: [.circle(1), .square(-2), .none],
                             smalls: [.a(7), .b(0), .c, .d], wides: [.pair(1, 2), .byte(3), .flag(true), .nothing, .other],
                             chain: .link(.red, .link(.blue, .end(nil))), result: .success(5))
        #expect(try unpack(try pack(value), as: Assorted.self) == value)
    }

    enum Either<A: Equatable, B: Equatable>: Equatable { case left(A), right(B), neither, both }

    /// Made in generic code, through the enum's value witnesses (the runtime's layout).
    @inline(never)
    func generic<A: Equatable, B: Equatable>(_ a: A, _ b: B) -> [Either<A, B>] { [.left(a), .right(b), .neither, .both] }

    @Test("generic enums of plain data, laid out by the runtime, round-trip under TAG")
    func genericPlainEnums() throws {
        let made = generic(7, 2.5) + [.neither, .left(-1)] + generic(UInt8(3), Int16(-4)).map { _ in Either<Int, Double>.both }
        #expect(try unpack(try pack(made), as: [Either<Int, Double>].self) == made)
        let small = generic(UInt8(3), Int16(-4)) + [.both, .right(9)]
        #expect(try unpack(try pack(small), as: [Either<UInt8, Int16>].self) == small)
        let optionals: [Either<Int, Double>?] = [nil, .neither, .left(1)] + generic(1, 1.0).map(Optional.some)
        #expect(try unpack(try pack(optionals), as: [Either<Int, Double>?].self) == optionals)
        // Empty cases written over payload cases in place: no payload bits may stay behind.
        var overwritten = (0..<4).map { Either<Int, Double>.left(Int.max - $0) }
        for index in overwritten.indices { overwritten[index] = index % 2 == 0 ? .neither : .both }
        #expect(try unpack(try pack(overwritten), as: [Either<Int, Double>].self) == overwritten)
    }

    struct Spans: Equatable {
        var half: Range<Int>
        var closed: ClosedRange<UInt8>
        var real: Range<Double>
    }

    @Test("a Range's lower bound is not above its upper bound")
    func rangeBounds() throws {
        let value = Spans(half: -5 ..< -1, closed: 3...3, real: -0.5 ..< 2.5)
        let packet = try pack(value)
        let body = bodyBytes(packet)
        // half: two Ints; closed: two bytes; padding (not on the wire); real: two Doubles; the trailer.
        #expect(body.count == 16 + 2 + 16 + 1)
        #expect(try unpack(resealed(packet), as: Spans.self) == value)
        func forging(_ changes: [Int: UInt8]) -> [UInt8] {
            var forged = body
            for (index, byte) in changes { forged[index] = byte }
            return forged
        }
        let nan = Array(withUnsafeBytes(of: Double.nan) { $0 })
        for (name, changes) in [("Int bounds -1 ..< -5", [0: 0xFF, 8: 0xFB]),  // lower -1, upper -5
                                ("Int bounds 0 ..< -1", [0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0]),
                                ("UInt8 bounds 4...3", [16: 4]),
                                ("Double lower bound NaN", Dictionary(uniqueKeysWithValues: nan.enumerated().map { (18 + $0, $1) }))]
            as [(String, [Int: UInt8])] {
            let error = refusal(packet, forging(changes), as: Spans.self)
            #expect(error?.code == .malformed, "\(name)")
            #expect(error?.message.contains("lower bound is above") == true, "\(name): \(String(describing: error))")
        }
        // The lowest Int is below the highest: the reader compares signed.
        var widest = body
        for i in 0..<8 { (widest[i], widest[8 + i]) = (i == 7 ? 0x80 : 0, i == 7 ? 0x7F : 0xFF) }
        #expect(try unpack(resealed(withBody(packet, widest)), as: Spans.self).half == Int.min ..< Int.max)
    }

    struct Scalars: Equatable { var scalar: Unicode.Scalar; var maybe: Unicode.Scalar? }

    @Test("a Unicode.Scalar is at most U+10FFFF and not a surrogate")
    func unicodeScalars() throws {
        let value = Scalars(scalar: "\u{10FFFF}", maybe: "é")
        let packet = try pack(value)
        let body = bodyBytes(packet)
        // The scalar (4 bytes), then the Optional as an ENUM: varint tag 0 and its 4 bytes; the trailer.
        #expect(body == [0xFF, 0xFF, 0x10, 0, 0, 0xE9, 0, 0, 0, 0])
        #expect(try unpack(resealed(packet), as: Scalars.self) == value)
        for (name, forged) in [("0x110000", [0, 0, 0x11, 0, 0, 0xE9, 0, 0, 0, 0]),
                               ("a surrogate", [0, 0xD8, 0, 0, 0, 0xE9, 0, 0, 0, 0]),
                               ("an Optional's surrogate", [0xFF, 0xFF, 0x10, 0, 0, 0xFF, 0xDF, 0, 0, 0])]
            as [(String, [UInt8])] {
            expectNotAValue(packet, forged, as: Scalars.self, name)
        }
    }

    struct Cursor { var text: String; var index: String.Index }

    @Test("a String.Index keeps its offsets; its alignment flags and cached stride are cleared")
    func stringIndexCaches() throws {
        let text = "héllo"
        let index = text.index(after: text.startIndex)
        let packet = try pack(Cursor(text: text, index: index))
        let body = bodyBytes(packet)
        // The small string (a kind byte, 16 bytes), the index (8 raw bytes), the trailer.
        #expect(body.count == 1 + 16 + 8 + 1)
        let unpacked = try unpack(resealed(packet), as: Cursor.self)
        #expect(unpacked.index == index && unpacked.text[unpacked.index] == "é")
        // Offset 2, inside "é" (bytes 1 and 2), claiming to be scalar- and character-aligned with
        // a cached stride of 1: the reader keeps the offset and the encoding bits only.
        let forgedBits: UInt64 = 2 << 16 | 1 << 8 | 0b0111
        var forged = body
        for i in 0..<8 { forged[17 + i] = UInt8(truncatingIfNeeded: forgedBits >> (8 * UInt64(i))) }
        let rebuilt = try unpack(resealed(withBody(packet, forged)), as: Cursor.self)
        #expect(unsafeBitCast(rebuilt.index, to: UInt64.self) == forgedBits & UInt64(HP_STRING_INDEX_KEPT))
        #expect(unsafeBitCast(rebuilt.index, to: UInt64.self) == 2 << 16 | 0b0100)
    }

    /// `bytes` with the 8 bytes at `offset` set to `word` (little-endian).
    func setting(_ bytes: [UInt8], word: UInt64, at offset: Int) -> [UInt8] {
        var changed = bytes
        for i in 0..<8 { changed[offset + i] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i))) }
        return changed
    }

    struct Sub { var text: Substring }

    @Test("a Substring's bounds are in order, within its base's UTF-8 and on scalar boundaries")
    func substringBounds() throws {
        let base = "héllo wörld"  // 13 bytes of UTF-8: a small string
        let value = Sub(text: base.dropFirst().prefix(4))
        let packet = try pack(value)
        let body = bodyBytes(packet)
        // The bounds (two raw words: UTF-8 offsets 1 and 6), the base (a kind byte and 16 bytes), the trailer.
        #expect(body.count == 16 + 17 + 1)
        #expect(body[2] == 1 && body[10] == 6)
        let copy = try unpack(resealed(packet), as: Sub.self)
        #expect(copy.text == "éllo" && copy.text.base == base)
        // The reader writes each bound as a scalar-aligned UTF-8 index: offset, UTF-8 flag, aligned flag.
        #expect(unsafeBitCast(copy.text.startIndex, to: UInt64.self) == 1 << 16 | 0b101)
        #expect(try unpack(resealed(withBody(packet, setting(body, word: 13 << 16 | 0b101, at: 8))), as: Sub.self).text
                == "éllo wörld")
        for (name, forged) in [("end past the base", setting(body, word: 14 << 16 | 0b101, at: 8)),
                               ("start inside é", setting(body, word: 2 << 16 | 0b101, at: 0)),
                               ("start after end", setting(body, word: 7 << 16 | 0b101, at: 0)),
                               ("a transcoded offset", setting(body, word: 1 << 16 | 1 << 14 | 0b101, at: 0)),
                               ("a UTF-16 index", setting(body, word: 1 << 16 | 0b1001, at: 0))] {
            let error = refusal(packet, forged, as: Sub.self)
            #expect(error?.code == .malformed, "\(name)")
            #expect(error?.message.contains("Substring") == true, "\(name): \(String(describing: error))")
        }
    }

    struct Selection { var text: String; var range: Range<String.Index> }

    @Test("a Range of String.Index is in order by offset, and its caches are cleared")
    func stringIndexRange() throws {
        let text = "héllo"
        let value = Selection(text: text, range: text.index(after: text.startIndex)..<text.endIndex)
        let packet = try pack(value)
        let body = bodyBytes(packet)
        // The small string (a kind byte, 16 bytes), the bounds (two raw words), the trailer.
        #expect(body.count == 17 + 16 + 1)
        let copy = try unpack(resealed(packet), as: Selection.self)
        #expect(copy.range == value.range && copy.text[copy.range] == "éllo")
        #expect(unsafeBitCast(copy.range.lowerBound, to: UInt64.self) & ~UInt64(HP_STRING_INDEX_KEPT) == 0)
        // Equal offsets with other caches are an empty range, not a reversed one.
        let empty = setting(setting(body, word: 3 << 16 | 0b0111, at: 17), word: 3 << 16 | 0b0100, at: 25)
        #expect(try unpack(resealed(withBody(packet, empty)), as: Selection.self).range.isEmpty)
        let reversed = setting(setting(body, word: 4 << 16 | 0b0101, at: 17), word: 3 << 16 | 0b0101, at: 25)
        let error = refusal(packet, reversed, as: Selection.self)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("lower bound is above") == true, "\(String(describing: error))")
    }
}
