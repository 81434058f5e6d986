import CHeapPack
@testable import HeapPack
import HeapPackTestSupport
import Testing

// Type-table entries name addresses in the binary and runtime lookups. A crafted entry must end
// in a typed error before the reader loads a misaligned word, calls an "access function" that is
// not one, or makes binding words of the packet's choosing.

@Suite("Hostile packets: type table")
struct TypeTableTests {
    private struct Hidden: Hashable { var value: Int }

    /// A closure whose context is a closure context (two captures, so not a lone box).
    private static func closurePacket() throws -> ParsedPacket {
        let a = Int.random(in: 1...1000), b = Int.random(in: 1...1000)
        let closure: () -> Int = { a + b }
        return try ParsedPacket(try pack(closure))
    }

    private static func unpackClosure(_ packet: ParsedPacket) -> PackError? {
        packError { _ = try unpack(packet.bytes, as: (() -> Int).self) }
    }

    @Test("the metadata sections list this binary's own descriptors, and only their starts")
    func sectionsListDescriptors() throws {
        let images = try _Engine().images()
        let descriptor = try #require(_Metadata(Hidden.self).descriptor)
        let image = try #require(images.locate(descriptor)).image
        #expect(images.isTypeDescriptor(descriptor, image: image))
        #expect(!images.isTypeDescriptor(descriptor + 4, image: image))
        #expect(!images.isProtocolDescriptor(descriptor, image: image))
    }

    @Test("a misaligned closure-context metadata address is malformed, not loaded")
    func misalignedContextMetadata() throws {
        var packet = try Self.closurePacket()
        let index = try #require(packet.typeIndex { if case .staticAddress = $0 { true } else { false } })
        guard case .staticAddress(let image, let offset) = packet.header.types[index] else { return }
        #expect(Self.unpackClosure(packet) == nil)
        for shifted in [offset + 1, offset + 4, offset - 3] {
            packet.header.types[index] = .staticAddress(image: image, offset: shifted)
            let error = Self.unpackClosure(packet)
            #expect(error?.code == .malformed)
            #expect(error?.message == "a type-table address is not closure-context metadata in this binary")
        }
    }

    @Test("closure-context metadata whose capture descriptor is not listed in swift5_capture is malformed")
    func contextMetadataElsewhere() throws {
        var packet = try Self.closurePacket()
        let index = try #require(packet.typeIndex { if case .staticAddress = $0 { true } else { false } })
        guard case .staticAddress(let image, let offset) = packet.header.types[index] else { return }
        // One word on: aligned, in the same record, but not a record.
        packet.header.types[index] = .staticAddress(image: image, offset: offset + 8)
        #expect(Self.unpackClosure(packet)?.code == .malformed)
    }

    @Test("a nominal entry at bytes that swift5_type_metadata does not list is malformed before anything is called")
    func unlistedTypeDescriptor() throws {
        let values: [Any] = [Hidden(value: Int.random(in: 1...9))]
        var packet = try ParsedPacket(try pack(values))
        let index = try #require(packet.typeIndex { if case .nominal = $0 { true } else { false } })
        guard case .nominal(let image, let offset, let arguments, let tables) = packet.header.types[index] else { return }
        #expect(try unpack(packet.bytes, as: [Any].self).count == 1)
        // Another real descriptor's bytes, a word into this one, and the closure-context metadata.
        for moved in [offset + 4, offset + 8, offset + 12] {
            packet.header.types[index] = .nominal(image: image, offset: moved, arguments: arguments, witnessTables: tables)
            let error = packError { _ = try unpack(packet.bytes, as: [Any].self) }
            #expect(error?.code == .malformed)
            #expect(error?.message == "a type-table entry does not point at a type descriptor in this binary")
        }
    }

    @Test("a binding naming a parameter the context does not have is malformed, not an index trap")
    func bindingParameterOutOfRange() throws {
        var packet = try ParsedPacket(try pack(makeHashCheck(Int.random(in: 4...9), matching: 3, bonus: 1)))
        let index = try #require(packet.typeIndex { if case .genericContext = $0 { true } else { false } })
        guard case .genericContext(let image, let offset, let parameters, _) = packet.header.types[index] else { return }
        for (parameters, bindings) in [([], [_PacketFormat.Binding.parameter(0)]), (parameters, [.parameter(1)]),
                                       (parameters, [.witness(parameter: 7, protocolImage: 0, protocolOffset: 0)])] {
            packet.header.types[index] = .genericContext(image: image, offset: offset, parameters: parameters,
                                                         bindings: bindings)
            let error = Self.unpackClosure(packet)
            #expect(error?.code == .malformed, "\(String(describing: error))")
        }
    }

    @Test("a witness-table binding swapped with a metadata binding is malformed")
    func witnessBindingSwapped() throws {
        var packet = try ParsedPacket(try pack(makeHashCheck(Int.random(in: 4...9), matching: 3, bonus: 1)))
        let index = try #require(packet.typeIndex { if case .genericContext = $0 { true } else { false } })
        guard case .genericContext(let image, let offset, let parameters, let bindings) = packet.header.types[index] else {
            return
        }
        #expect(bindings.count == 2)
        let swapped: [[_PacketFormat.Binding]] = [bindings.reversed(), [bindings[0], bindings[0]],
                                                  [bindings[1], bindings[1]]]
        for variant in swapped {
            packet.header.types[index] = .genericContext(image: image, offset: offset, parameters: parameters,
                                                         bindings: variant)
            let error = Self.unpackClosure(packet)
            #expect(error?.code == .malformed, "\(String(describing: error))")
            #expect(error?.message.contains("binding") == true, "\(String(describing: error))")
        }
        packet.header.types[index] = .genericContext(image: image, offset: offset, parameters: parameters,
                                                     bindings: bindings)
        #expect(try unpack(packet.bytes, as: (() -> Int).self)() == -1)
    }

    @Test("a type table over the cap is limitExceeded before anything is resolved")
    func tooManyEntries() throws {
        var packet = try ParsedPacket(try pack([Int.random(in: 1...9)]))
        packet.header.types += Array(repeating: .mangledName(Array("Si".utf8)), count: _PacketFormat.maxTypeEntries)
        let error = packError { _ = try unpack(packet.bytes, as: [Int].self) }
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.contains("\(_PacketFormat.maxTypeEntries)") == true)
    }

    @Test("entries the body does not use are never resolved")
    func unusedEntriesAreNotResolved() throws {
        var packet = try ParsedPacket(try pack([Int.random(in: 1...9), 2]))
        packet.header.types += Array(repeating: .mangledName(Array("NoSuchType_Q".utf8)), count: 1000)
        #expect(try unpack(packet.bytes, as: [Int].self).count == 2)
        // The same name where the body uses it does not resolve.
        packet.header.types[0] = .mangledName(Array("NoSuchType_Q".utf8))
        #expect(packError { _ = try unpack(packet.bytes, as: [Int].self) }?.code == .binaryMismatch)
    }

    @Test("types found by name are remembered per engine, within bounds; a name not found is not")
    func typesByNameAreRemembered() throws {
        let engine = _Engine()
        let images = try engine.images()
        func resolve(_ name: String) throws(PackError) -> _Metadata {
            try engine.resolveType(.mangledName(Array(name.utf8)), [], images) { _ throws(PackError) in
                throw .malformed("a mangled name has no arguments")
            }
        }
        let int = try resolve("Si")
        #expect(int.pointer == _Metadata(Int.self).pointer)
        #expect(engine.typesByName.withLock { $0[Array("Si".utf8)] } == int.pointer)
        #expect(try resolve("Si").pointer == int.pointer)

        for _ in 0..<2 { #expect(throws: PackError.self) { try resolve("NoSuchType_Q") } }
        #expect(engine.typesByName.withLock { $0.count } == 1)

        // Full: a new name still resolves, and what was kept makes room for it.
        engine.typesByName.withLock { known in
            for k in 1..<_Engine.typesByNameLimit { known[Array("stand-in \(k)".utf8)] = int.pointer }
        }
        #expect(try resolve("SaySiG").pointer == _Metadata([Int].self).pointer)
        #expect(engine.typesByName.withLock { Array($0.keys) } == [Array("SaySiG".utf8)])

        // A name longer than the longest kept resolves and is not kept.
        let nested = String(repeating: "Say", count: 400) + "Si" + String(repeating: "G", count: 400)
        #expect(nested.utf8.count > _Engine.typesByNameLongest)
        let deep = try resolve(nested)
        #expect(_typeName(deep.type).hasPrefix("Swift.Array<Swift.Array<"))
        #expect(_typeName(deep.type).utf8.count > 400 * 12)
        #expect(engine.typesByName.withLock { $0.count } == 1)
    }

    @Test("an error quotes at most 200 bytes of a name from the packet")
    func longNamesAreTruncated() throws {
        let long = Array(repeating: UInt8(ascii: "Z"), count: 65_536)
        var packet = try ParsedPacket(try pack([Int.random(in: 1...9)]))
        packet.header.types[0] = .mangledName(long)
        let error = try #require(packError { _ = try unpack(packet.bytes, as: [Int].self) })
        #expect(error.code == .binaryMismatch)
        #expect(error.message.utf8.count < 300, "\(error.message.utf8.count) bytes")
        #expect(error.message.contains(String(repeating: "Z", count: 200) + "…"))

        var named = try ParsedPacket(try pack([Int.random(in: 1...9)]))
        named.header.names = [String(repeating: "n", count: 65_536)]
        let unknown = try #require(packError { _ = try unpack(named.bytes, as: [Int].self) })
        #expect(unknown.code == .unknownName)
        #expect(unknown.message.utf8.count < 400 && unknown.path.utf8.count < 300)

        var rooted = try ParsedPacket(try pack([Int.random(in: 1...9)]))
        rooted.header.rootTypeName = long
        let mismatch = try #require(packError { _ = try unpack(rooted.bytes, as: [Int].self) })
        #expect(mismatch.code == .typeMismatch)
        #expect(mismatch.message.utf8.count < 400 && (mismatch.typeName?.utf8.count ?? 0) < 300)
    }
}
