import Dispatch
import Foundation
import HeapPack
import HeapPackTestSupport
import Testing

@Suite("Refusals")
struct RefusalTests {
    final class Logger {
        let prefix = "job"
        let sink: FileHandle
        init(sink: FileHandle) { self.sink = sink }
    }

    final class WeakLink {
        weak var other: WeakLink?
    }

    final class UnownedLink {
        unowned let target: WeakLink
        init(target: WeakLink) { self.target = target }
    }

    final class Guarded {
        let lock = NSLock()
        var value = 0
    }

    @Test("a captured FileHandle is nonTransferable, with its path")
    func fileHandle() {
        let logger = Logger(sink: FileHandle.standardError)
        let tag = "x"
        let job: () -> String = { logger.prefix + tag }
        let error = packError { _ = try pack(job) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.typeName == "Foundation.FileHandle")
        #expect(error?.path.contains("capture 0: HeapPackTests.RefusalTests.Logger > .sink > Foundation.FileHandle") == true,
                "\(String(describing: error?.path))")
        // The closure is named from the test binary's symbol table.
        #expect(error?.path.contains("closure #1 () -> Swift.String in HeapPackTests.RefusalTests.fileHandle()") == true,
                "\(String(describing: error?.path))")
    }

    @Test("a private subclass of a refused class is named without run-time addresses")
    func privateSubclassName() {
        let error = packError { _ = try pack([FileHandle.nullDevice]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.typeName == "Foundation.FileHandle.NullDevice", "\(String(describing: error?.typeName))")
        #expect(error?.path.contains("unknown context") == false, "\(String(describing: error?.path))")
    }

    @Test("Unmanaged references and tail-allocated classes are nonTransferable; key paths unsupported")
    func unmanagedAndTailAllocated() {
        final class Target {}
        let target = Target()
        let unmanaged = packError { _ = try pack([Unmanaged.passUnretained(target)]) }
        #expect(unmanaged?.code == .nonTransferable)
        #expect(unmanaged?.typeName?.hasPrefix("Swift.Unmanaged<") == true, "\(String(describing: unmanaged))")
        #expect(unmanaged?.path.hasPrefix("root: Array<Unmanaged<Target>> > [0] > Swift.Unmanaged<") == true,
                "\(String(describing: unmanaged?.path))")

        final class Samples: ManagedBuffer<Int, Double> {}
        let buffer = Samples.create(minimumCapacity: 4) { _ in 4 }
        let tail = packError { _ = try pack((1, buffer)) }
        #expect(tail?.code == .nonTransferable)
        #expect(tail?.message.contains("Swift.ManagedBuffer<Swift.Int, Swift.Double>") == true, "\(String(describing: tail))")
        #expect(tail?.path.hasPrefix("root: (Int, ManagedBuffer<Int, Double>) > .1") == true,
                "\(String(describing: tail?.path))")
    }

    @Test("an NSLock inside a class is nonTransferable")
    func lock() {
        let error = packError { _ = try pack([Guarded()]) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path.hasSuffix(".lock > Foundation.NSLock") == true, "\(String(describing: error?.path))")
    }

    @Test("a Thread and a DispatchQueue are nonTransferable")
    func threadAndQueue() {
        let thread = Thread {}
        #expect(packError { _ = try pack(thread) }?.code == .nonTransferable)
        let queue = DispatchQueue(label: "q")
        let error = packError { _ = try pack(Optional(queue)) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.message.contains("Dispatch") == true)
    }

    @Test("a raw pointer into the heap is nonTransferable; one into static data travels")
    func rawPointers() throws {
        let heap = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { heap.deallocate() }
        let error = packError { _ = try pack((1, heap)) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: (Int, UnsafeMutablePointer<Int>) > .1 > Swift.UnsafeMutablePointer<Swift.Int>", "\(String(describing: error?.path))")
        let literal: StaticString = "static text lives in the binary"
        let back = try unpack(try pack(literal), as: StaticString.self)
        #expect(back.description == literal.description)
    }

    @Test("an unowned reference to an object outside the packet is refused, with its path")
    func unownedOutside() {
        let outside = WeakLink()
        let holder = UnownedLink(target: outside)
        let error = packError { _ = try pack(Optional(holder)) }
        #expect(error?.code == .nonTransferable)
        #expect(error?.path == "root: Optional<UnownedLink> > .target", "\(String(describing: error?.path))")
        #expect(error?.message.contains("dangle") == true)
    }

    @Test("what is not supported yet says so, with its path")
    func unsupported() {
        let path = \Member.name
        let error = packError { _ = try pack([{ "\(path)" }]) }
        #expect(error?.code == .unsupported)
        #expect(error?.path.hasPrefix("root: Array<() -> String> > [0]") == true,
                "\(String(describing: error?.path))")
        // A closure whose only capture is reference-counted uses that object as its context:
        // here the key path object itself, which the path names.
        #expect(error?.path.hasSuffix("HeapPackTests.RefusalTests.unsupported() -> () > "
                                      + "Swift.WritableKeyPath<HeapPackTestSupport.Member, Swift.String>") == true,
                "\(String(describing: error?.path))")
    }
}
