import Testing
import HeapPack
import HeapPackTestSupport

// Library types that are built from the parts HeapPack already knows (structs, enums, array
// storage, builtin vectors and integers) travel without special cases.

@Suite("Library value types")
struct LibraryTypeTests {
    private struct Bundle {
        var contiguous: ContiguousArray<String>
        var slice: ArraySlice<Int>
        var range: Range<Int>
        var closed: ClosedRange<Double>
        var success: Result<[Int], SmallError>
        var failure: Result<Int, SmallError>
        var vector: SIMD4<Float>
        var bytes: SIMD16<UInt8>
        var wide: Int128
        var unsignedWide: UInt128
        var duration: Duration
        var substring: Substring
        var character: Character
        var text: StaticString
    }

    private enum SmallError: Error, Equatable { case bad(String) }

    @Test func libraryValueTypesRoundTrip() throws {
        let base = Array(0..<100)
        let line = "a line of text from which a substring is taken, long enough to be native"
        let value = Bundle(
            contiguous: ["x", "a string that is long enough to live in native storage"],
            slice: base[10..<20],
            range: -5..<5,
            closed: 0.5...1.5,
            success: .success([1, 2, 3]),
            failure: .failure(.bad("a reason that is longer than fifteen bytes")),
            vector: SIMD4(1, 2, 3, 4),
            bytes: SIMD16(repeating: 7),
            wide: Int128(Int64.min) * 3,
            unsignedWide: UInt128(UInt64.max) << 20,
            duration: .seconds(3) + .milliseconds(250),
            substring: line.dropFirst(7).prefix(4),
            character: "👩‍💻",
            text: "static text")
        let copy = try unpack(try pack(value), as: Bundle.self)
        #expect(copy.contiguous == value.contiguous)
        #expect(copy.slice == value.slice)
        #expect(copy.slice.startIndex == 10, "a slice keeps its indices into the copied storage")
        #expect(copy.range == value.range)
        #expect(copy.closed == value.closed)
        #expect((try? copy.success.get()) == [1, 2, 3])
        #expect(copy.failure == .failure(.bad("a reason that is longer than fifteen bytes")))
        #expect(copy.vector == value.vector)
        #expect(copy.bytes == value.bytes)
        #expect(copy.wide == value.wide)
        #expect(copy.unsignedWide == value.unsignedWide)
        #expect(copy.duration == value.duration)
        #expect(copy.substring == value.substring && copy.substring == "of t")
        #expect(copy.character == "👩‍💻")
        #expect(copy.text.description == "static text")
    }

    // StaticString's first word is either a pointer into the binary or a Unicode scalar; the
    // pointer form must travel as an image offset (cross-process: the library-types scenario).
    @Test func staticStringsInBothRepresentations() throws {
        let pointer: StaticString = "lives in the binary's read-only data"
        // What init(_builtinUnicodeScalarLiteral:) stores: the scalar, count 0, flags 0x1 (scalar,
        // not ASCII). Source literals of type StaticString take the pointer form.
        let scalar = unsafeBitCast((UInt(0xE9), UInt(0), UInt8(0x1)), to: StaticString.self)
        #expect(pointer.hasPointerRepresentation && !scalar.hasPointerRepresentation)
        let copy = try unpack(try pack((pointer, scalar)), as: (StaticString, StaticString).self)
        #expect(copy.0.description == pointer.description)
        #expect(copy.1.unicodeScalar == "é")
    }

    @Test func keyPathsAreRefusedWithAPath() {
        let error = #expect(throws: PackError.self) { _ = try pack([\Bundle.range]) }
        #expect(error?.code == .unsupported)
        #expect(error?.path.hasPrefix("root: Array<") == true)
        #expect(error?.typeName?.contains("KeyPath") == true, "\(String(describing: error))")
    }

    @Test func metatypesInsideStructs() throws {
        let value = Metatypes(any: [Int.self, [String].self], thin: Int.self, thick: Account.self, classes: [Person.self])
        let copy = try unpack(try pack(value), as: Metatypes.self)
        #expect(copy.any.count == 2 && copy.any[1] == [String].self)
        #expect(copy.thick == Account.self)
        #expect(ObjectIdentifier(copy.classes[0]) == ObjectIdentifier(Person.self))
    }
}
