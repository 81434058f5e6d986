import Dispatch
import Distributed
import Foundation
import HeapPack
import Synchronization
import Testing

// Every refused kind, nested deep in four places: an array of `Any`, a dictionary's values, an
// enum payload, and a closure captured by another closure. The refusal must name the kind and
// the path must lead to it, whichever way the walk got there.

@Suite("Refusals, nested deep")
struct NestedRefusalTests {
    final class Holder<T> {
        let value: T
        init(_ value: T) { self.value = value }
    }

    enum Job<Payload> {
        case idle
        case waiting(String)
        case running(Payload)
    }

    final class MutexOwner { let count = Mutex(0) }
    final class AtomicOwner { let ticks = Atomic<Int>(0) }
    final class Ticket: NeverTransferable {}
    final class Samples: ManagedBuffer<Int, Double> {}
    final class UnownedLink {
        unowned let target: AnyObject
        init(_ target: AnyObject) { self.target = target }
    }
    actor Counter { var count = 0 }
    distributed actor Worker { typealias ActorSystem = LocalTestingDistributedActorSystem }

    /// An outer closure that calls an inner one, which captures `holder`. Each captures a string
    /// too, made at run time so that -O cannot fold it away: a closure whose only capture is one
    /// object would use that object as its context, and the path would show no capture.
    @inline(never)
    private func nestedClosure(around holder: AnyObject) -> () -> Int {
        let tag = String(repeating: "i", count: Int.random(in: 1...3))
        let inner: () -> Int = { tag.count + (ObjectIdentifier(holder).hashValue & 1) }
        let label = String(repeating: "o", count: Int.random(in: 1...3))
        return { inner() + label.count }
    }

    /// Packs `value`, held in a ``Holder``, in each of the four places and expects each to be
    /// refused as `typeName`, for `reason`, with a path ending `.value > pathEnd` (`.value` when
    /// the refused word is the held value itself).
    private func expectRefusedInFourPlaces<T>(
        _ value: T, typeName: String?, pathEnd: String? = nil, reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let holder = Holder(value)
        let tail = pathEnd ?? typeName ?? ""
        let end = tail.isEmpty ? ".value" : ".value > " + tail
        let places: [(String, PackError?, [String])] = [
            ("array", packError { () throws(PackError) in _ = try pack([0, "one", holder] as [Any]) },
             ["root: Array<Any> > [2] > "]),
            ("dictionary", packError { () throws(PackError) in
                _ = try pack(["alpha": 1, "culprit": holder, "omega": "fine"] as [String: Any])
             }, ["root: Dictionary<String, Any> > [\"culprit\"] > "]),
            ("enum", packError { () throws(PackError) in
                _ = try pack([Job<Holder<T>>.idle, .waiting("queue"), .running(holder)])
             }, ["root: Array<Job<Holder<", " > [2] > case .running > " + end]),
            ("closure", packError { () throws(PackError) in _ = try pack(nestedClosure(around: holder)) },
             ["root: () -> Int > ", "capture "]),
        ]
        for (place, error, pieces) in places {
            guard let error else {
                Issue.record("\(place): packed without a refusal", sourceLocation: sourceLocation)
                continue
            }
            #expect(error.code == .nonTransferable, "\(place): \(error)", sourceLocation: sourceLocation)
            #expect(error.typeName == typeName, "\(place)", sourceLocation: sourceLocation)
            #expect(error.message.contains(reason), "\(place): \(error.message)", sourceLocation: sourceLocation)
            #expect(error.path.hasPrefix(pieces[0]), "\(place): \(error.path)", sourceLocation: sourceLocation)
            #expect(error.path.hasSuffix(end), "\(place): \(error.path)", sourceLocation: sourceLocation)
            for piece in pieces.dropFirst() {
                #expect(error.path.contains(piece), "\(place): \(error.path)", sourceLocation: sourceLocation)
            }
            if place == "closure" {
                #expect(error.path.contains(#/capture \d+: /#), "\(error.path)", sourceLocation: sourceLocation)
            }
        }
    }

    // Foundation

    @Test func fileHandle() throws {
        // Not FileHandle.nullDevice: that is a private subclass, whose name carries addresses.
        let handle = try #require(FileHandle(forReadingAtPath: "/dev/null"))
        defer { try? handle.close() }
        expectRefusedInFourPlaces(handle, typeName: "Foundation.FileHandle", reason: "descriptor table")
    }

    @Test func process() {
        expectRefusedInFourPlaces(Process(), typeName: "Foundation.Process", reason: "child-process handle")
    }

    @Test func pipe() throws {
        let pipe = Pipe()
        defer {
            try? pipe.fileHandleForReading.close()
            try? pipe.fileHandleForWriting.close()
        }
        expectRefusedInFourPlaces(pipe, typeName: "Foundation.Pipe", reason: "pipe's descriptors")
    }

    @Test func lock() {
        expectRefusedInFourPlaces(NSLock(), typeName: "Foundation.NSLock", reason: "a lock guards")
    }

    @Test func recursiveLock() {
        expectRefusedInFourPlaces(NSRecursiveLock(), typeName: "Foundation.NSRecursiveLock", reason: "a lock guards")
    }

    @Test func condition() {
        expectRefusedInFourPlaces(NSCondition(), typeName: "Foundation.NSCondition", reason: "condition variable")
    }

    @Test func conditionLock() {
        expectRefusedInFourPlaces(NSConditionLock(condition: 0), typeName: "Foundation.NSConditionLock",
                                  reason: "condition lock")
    }

    @Test func thread() {
        expectRefusedInFourPlaces(Thread {}, typeName: "Foundation.Thread", reason: "execution context")
    }

    @Test("a FileManager, .default included")
    func fileManager() {
        // swift-corelibs-foundation's FileManager is FoundationEssentials' class.
        expectRefusedInFourPlaces(FileManager(), typeName: "FoundationEssentials.FileManager",
                                  reason: "use FileManager.default on the receiver")
        expectRefusedInFourPlaces(FileManager.default, typeName: "FoundationEssentials.FileManager",
                                  reason: "use FileManager.default on the receiver")
    }

    @Test func streams() {
        expectRefusedInFourPlaces(InputStream(data: Data([1, 2, 3])), typeName: "Foundation.InputStream",
                                  reason: "a stream reads or writes")
        expectRefusedInFourPlaces(OutputStream.toMemory(), typeName: "Foundation.OutputStream",
                                  reason: "a stream reads or writes")
    }

    @Test func port() throws {
        let port = try #require(SocketPort(tcpPort: 0))
        defer { port.invalidate() }
        expectRefusedInFourPlaces(port, typeName: "Foundation.SocketPort", reason: "a port is an endpoint")
    }

    @Test("run loops, timers and operations")
    func runLoopsTimersAndOperations() {
        let timer = Timer(timeInterval: 60, repeats: false) { _ in }
        defer { timer.invalidate() }
        let reason = "tied to this process's run loops and threads"
        expectRefusedInFourPlaces(RunLoop.current, typeName: "Foundation.RunLoop", reason: reason)
        expectRefusedInFourPlaces(timer, typeName: "Foundation.Timer", reason: reason)
        expectRefusedInFourPlaces(OperationQueue(), typeName: "Foundation.OperationQueue", reason: reason)
        expectRefusedInFourPlaces(BlockOperation {}, typeName: "Foundation.BlockOperation", reason: reason)
    }

    @Test func notificationCenter() {
        // swift-corelibs-foundation's NotificationCenter is FoundationEssentials' class.
        expectRefusedInFourPlaces(NotificationCenter(), typeName: "FoundationEssentials.NotificationCenter",
                                  reason: "observers are closures and queues of this process")
    }

    // Dispatch

    @Test func dispatchSource() {
        let source = DispatchSource.makeTimerSource()
        // Dispatch traps on releasing a source that was never activated or resumed.
        source.resume()
        defer { source.cancel() }
        expectRefusedInFourPlaces(source, typeName: "Dispatch.DispatchSource", reason: "Dispatch object")
    }

    @Test func dispatchQueue() {
        expectRefusedInFourPlaces(DispatchQueue(label: "nested refusal"), typeName: "Dispatch.DispatchQueue",
                                  reason: "Dispatch object")
    }

    @Test func dispatchGroup() {
        expectRefusedInFourPlaces(DispatchGroup(), typeName: "Dispatch.DispatchGroup", reason: "Dispatch object")
    }

    @Test func dispatchSemaphore() {
        expectRefusedInFourPlaces(DispatchSemaphore(value: 0), typeName: "Dispatch.DispatchSemaphore",
                                  reason: "Dispatch object")
    }

    @Test func dispatchWorkItem() {
        let item = DispatchWorkItem {}
        defer { item.cancel() }
        expectRefusedInFourPlaces(item, typeName: "Dispatch.DispatchWorkItem", reason: "Dispatch work item")
    }

    // Concurrency

    @Test func actor() {
        expectRefusedInFourPlaces(Counter(), typeName: "HeapPackTests.NestedRefusalTests.Counter",
                                  reason: "bound to this process's executor and isolation")
    }

    @Test("a distributed actor, with advice to send its id")
    func distributedActor() {
        let system = LocalTestingDistributedActorSystem()
        let worker = Worker(actorSystem: system)
        // The testing system holds its ready actors strongly, and each actor holds the system:
        // resign the id by hand, or the two keep each other alive (LeakSanitizer reports it).
        defer { system.resignID(worker.id) }
        expectRefusedInFourPlaces(worker, typeName: "HeapPackTests.NestedRefusalTests.Worker", reason: "send its id and resolve it")
    }

    @Test func taskHandle() async {
        let task = Task { 7 }
        expectRefusedInFourPlaces(task, typeName: "Swift.Task<Swift.Int, Swift.Never>", reason: "task handle")
        #expect(await task.value == 7)
    }

    @Test func checkedContinuation() async {
        let resumed = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            expectRefusedInFourPlaces(continuation, typeName: "Swift.CheckedContinuation<Swift.Int, Swift.Never>",
                                      reason: "resumes a task suspended in this process")
            continuation.resume(returning: 1)
        }
        #expect(resumed == 1)
    }

    @Test func unsafeContinuation() async {
        let resumed = await withUnsafeContinuation { (continuation: UnsafeContinuation<Int, Never>) in
            expectRefusedInFourPlaces(continuation, typeName: "Swift.UnsafeContinuation<Swift.Int, Swift.Never>",
                                      reason: "resumes a task suspended in this process")
            continuation.resume(returning: 2)
        }
        #expect(resumed == 2)
    }

    @Test func asyncStreamContinuation() async {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        expectRefusedInFourPlaces(continuation, typeName: "Swift.AsyncStream<Swift.Int>.Continuation",
                                  reason: "resumes a task suspended in this process")
        continuation.yield(3)
        continuation.finish()
        var received: [Int] = []
        for await element in stream { received.append(element) }
        #expect(received == [3])
    }

    @Test func asyncStreams() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        defer { continuation.finish() }
        expectRefusedInFourPlaces(stream, typeName: "Swift.AsyncStream<Swift.Int>",
                                  reason: "buffer and waiting consumer belong to this process")
        let (throwing, throwingContinuation) = AsyncThrowingStream.makeStream(of: Int.self)
        defer { throwingContinuation.finish() }
        expectRefusedInFourPlaces(throwing, typeName: "Swift.AsyncThrowingStream<Swift.Int, Swift.Error>",
                                  reason: "buffer and waiting consumer belong to this process")
        expectRefusedInFourPlaces(throwingContinuation, typeName: "Swift.AsyncThrowingStream<Swift.Int, Swift.Error>.Continuation",
                                  reason: "resumes a task suspended in this process")
    }

    @Test("the current task, task groups and executors")
    func currentTaskGroupsAndExecutors() async {
        withUnsafeCurrentTask { task in
            guard let task else { Issue.record("no current task in an async test"); return }
            expectRefusedInFourPlaces(task, typeName: "Swift.UnsafeCurrentTask", reason: "task handle")
        }
        await withTaskGroup(of: Int.self) { group in
            expectRefusedInFourPlaces(group, typeName: "Swift.TaskGroup<Swift.Int>", reason: "task handle")
        }
        await withThrowingTaskGroup(of: Int.self) { group in
            expectRefusedInFourPlaces(group, typeName: "Swift.ThrowingTaskGroup<Swift.Int, Swift.Error>",
                                      reason: "task handle")
        }
        await withDiscardingTaskGroup { group in
            expectRefusedInFourPlaces(group, typeName: "Swift.DiscardingTaskGroup", reason: "task handle")
        }
        try? await withThrowingDiscardingTaskGroup { group in
            expectRefusedInFourPlaces(group, typeName: "Swift.ThrowingDiscardingTaskGroup<Swift.Error>",
                                      reason: "task handle")
        }
        expectRefusedInFourPlaces(MainActor.sharedUnownedExecutor, typeName: "Swift.UnownedSerialExecutor",
                                  reason: "an executor belongs to this process")
        expectRefusedInFourPlaces(UnownedTaskExecutor(globalConcurrentExecutor), typeName: "Swift.UnownedTaskExecutor",
                                  reason: "an executor belongs to this process")
    }

    // Synchronization: the runtime hides noncopyable field types from reflection, so the
    // refusal names the field and `~Copyable`, not Mutex or Atomic.

    @Test func mutex() {
        expectRefusedInFourPlaces(MutexOwner(), typeName: "~Copyable", pathEnd: ".count > ~Copyable",
                                  reason: "field .count is noncopyable (~Copyable), such as Synchronization's Mutex")
    }

    @Test func atomic() {
        expectRefusedInFourPlaces(AtomicOwner(), typeName: "~Copyable", pathEnd: ".ticks > ~Copyable",
                                  reason: "field .ticks is noncopyable (~Copyable)")
    }

    // Pointers and user policy

    @Test("a pointer into the heap")
    func heapPointer() {
        let heap = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        heap.initialize(to: 42)
        defer { heap.deinitialize(count: 1); heap.deallocate() }
        expectRefusedInFourPlaces(heap, typeName: nil, pathEnd: "Swift.UnsafeMutablePointer<Swift.Int>",
                                  reason: "not in any binary's static data")
    }

    @Test func unmanaged() {
        let target = Ticket()
        expectRefusedInFourPlaces(Unmanaged.passUnretained(target), typeName: "Swift.Unmanaged<HeapPackTests.NestedRefusalTests.Ticket>",
                                  reason: "retained and released by hand")
    }

    @Test("an opaque pointer into the heap")
    func opaquePointer() {
        let heap = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { heap.deallocate() }
        expectRefusedInFourPlaces(OpaquePointer(heap), typeName: nil, pathEnd: "Swift.OpaquePointer",
                                  reason: "not in any binary's static data")
    }

    @Test("a C function pointer outside every image")
    func cFunctionPointerOutsideImages() {
        // Never called: only its address is read.
        let heap = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        defer { heap.deallocate() }
        let function = unsafeBitCast(heap, to: (@convention(c) () -> Void).self)
        expectRefusedInFourPlaces(function, typeName: nil, pathEnd: "",
                                  reason: "lies in no loaded image's file-backed bytes")
    }

    @Test("a class with tail-allocated storage")
    func tailAllocated() {
        let buffer = Samples.create(minimumCapacity: 2) { _ in 2 }
        expectRefusedInFourPlaces(buffer, typeName: "HeapPackTests.NestedRefusalTests.Samples", reason: "tail-allocated storage")
    }

    @Test("an unowned reference whose target stays behind")
    func unownedOutside() {
        let outside = Ticket()
        expectRefusedInFourPlaces(UnownedLink(outside), typeName: nil, pathEnd: ".target",
                                  reason: "it would dangle in the receiver")
    }

    @Test func neverTransferable() {
        expectRefusedInFourPlaces(Ticket(), typeName: "HeapPackTests.NestedRefusalTests.Ticket",
                                  reason: "Ticket is marked NeverTransferable")
    }
}
