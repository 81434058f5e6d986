@testable import HeapPack
import Testing

// The plan builder reads metadata only through the views in Internals/Metadata; these check the
// views against what the runtime itself says, and that a record of a kind MetadataKind.def does
// not list is refused with a PackError before anything else in it is read.

private final class GenericBox<T> { var value: T; init(_ value: T) { self.value = value } }
private class GenericBase<T> { var base: T; init(_ base: T) { self.base = base } }
private final class Derived<U>: GenericBase<Int> {
    var own: U
    init(_ own: U) { self.own = own; super.init(1) }
}
private struct GenericPair<A, B> { var a: A; var b: B }

@Suite("Metadata views")
struct MetadataViewTests {
    @Test("each kind of type metadata reads as its MetadataKind.def case")
    func kinds() {
        #expect(_Metadata(Int.self).kind == .struct)
        #expect(_Metadata(Optional<Int>.self).kind == .optional)
        #expect(_Metadata(FloatingPointSign.self).kind == .enum)
        #expect(_Metadata((Int, String).self).kind == .tuple)
        #expect(_Metadata((() -> Int).self).kind == .function)
        #expect(_Metadata((any Sendable).self).kind == .existential)
        #expect(_Metadata(Int.Type.self).kind == .metatype)
        #expect(_Metadata((any Sendable.Type).self).kind == .existentialMetatype)
        #expect(_Metadata(GenericBox<Int>.self).kind == .class)
        for kind in _MetadataKind.allCases { #expect(_MetadataKind(word: kind.rawValue) == kind) }
        #expect(_MetadataKind(word: 0x1FF) == nil)
        #expect(_MetadataKind(word: 0x7FF + 1) == .class, "an isa pointer")
    }

    @Test("generic arguments are found where the runtime put them, for value types and classes")
    func genericArguments() {
        let pair = _Metadata(GenericPair<Int, String>.self)
        #expect(pair.genericArguments?.load(as: UnsafeRawPointer.self) == _Metadata(Int.self).pointer)
        #expect(pair.genericArguments?.load(fromByteOffset: 8, as: UnsafeRawPointer.self) == _Metadata(String.self).pointer)
        let box = _Metadata(GenericBox<String>.self)
        #expect(box.genericArguments?.load(as: UnsafeRawPointer.self) == _Metadata(String.self).pointer)
        let derived = _Metadata(Derived<Double>.self)
        #expect(derived.genericArguments?.load(as: UnsafeRawPointer.self) == _Metadata(Double.self).pointer)
        let array = [1, 2, 3]
        withExtendedLifetime(array) {
            let storage = _Metadata(unsafeBitCast(array, to: UnsafeRawPointer.self).load(as: UnsafeRawPointer.self))
            #expect(_PlanBuilder.arrayElement(of: storage) == _Metadata(Int.self))
        }
    }

    @Test("a class's field offsets come from its own and its superclass's descriptors")
    func classFieldOffsets() throws {
        let metadata = _Metadata(Derived<Double>.self)
        let base = try #require(_ClassMetadata(metadata).superclass)
        let baseDescriptor = _ClassDescriptor(try #require(_Metadata(base).typeDescriptor))
        let ownDescriptor = _ClassDescriptor(try #require(metadata.typeDescriptor))
        #expect(_ClassMetadata(metadata).fieldOffsets(of: baseDescriptor) == [16])
        #expect(_ClassMetadata(metadata).fieldOffsets(of: ownDescriptor) == [24])
        #expect(_ClassMetadata(metadata).instanceSize == 32)
    }

    @Test("a class chain longer than the builder follows is refused, not cut short")
    func classChainLimit() throws {
        // Forged class records: only the superclass word (+8) is read while following the chain.
        let count = _PlanBuilder.maxClassChain + 1
        let records = UnsafeMutablePointer<UInt>.allocate(capacity: 2 * count)
        defer { records.deallocate() }
        for index in 0..<count {
            records[2 * index] = 0
            records[2 * index + 1] = index + 1 < count ? UInt(bitPattern: records + 2 * (index + 1)) : 0
        }
        let deepest = _Metadata(UnsafeRawPointer(records))
        let refused = packError { _ = try _PlanBuilder.classChain(deepest, name: "Deep") }
        #expect(refused?.code == .unsupported)
        #expect(refused?.typeName == "Deep")
        #expect(refused?.message == "the class has more than \(_PlanBuilder.maxClassChain - 1) superclasses")
        let longest = _Metadata(UnsafeRawPointer(records + 2))
        #expect(try _PlanBuilder.classChain(longest, name: "Deep").count == _PlanBuilder.maxClassChain)
    }

    @Test("a record of an unknown kind is refused as unsupported, for values and for objects")
    func unknownKind() {
        let record = UnsafeMutablePointer<UInt>.allocate(capacity: 8)
        defer { record.deallocate() }
        record.initialize(repeating: 0, count: 8)
        record.pointee = 0x1FF
        let bogus = _Metadata(UnsafeRawPointer(record))
        let builder = _PlanBuilder()
        let asValue = packError { _ = try builder.layout(bogus) }
        #expect(asValue?.code == .unsupported)
        #expect(asValue?.message == "unknown metadata kind 0x1ff")
        let asObject = packError { _ = try builder.objectPlan(bogus) }
        #expect(asObject?.code == .unsupported)
        #expect(asObject?.message == "a heap object whose metadata kind is 0x1ff")
    }
}
