import Distributed

/// What must not travel, and why. Classes are checked along their whole superclass chain, value
/// types by their own name, both while a layout plan is built, so a refusal costs nothing on
/// later packs of allowed types. docs/TRANSFERABILITY.md gives the policy with its reasons.
enum _TransferPolicy {
    private static let lock = "a lock guards this process's memory; its state means nothing elsewhere"
    private static let runLoop = "it is tied to this process's run loops and threads"
    private static let fileManager = "a file manager holds this process's delegate and directory state; "
        + "use FileManager.default on the receiver, or register it as a named object"
    private static let notificationCenter = "a notification center's observers are closures and queues of this process"
    private static let atomic = "an atomic synchronises threads of this process"

    private static let refusedClasses: [String: String] = [
        "Foundation.FileHandle": "a file handle belongs to this process's descriptor table",
        "FoundationEssentials.FileManager": fileManager,
        "Foundation.FileManager": fileManager,
        "Foundation.NSLock": lock,
        "Foundation.NSRecursiveLock": lock,
        "Foundation.NSCondition": "a condition variable synchronises threads of this process",
        "Foundation.NSConditionLock": "a condition lock synchronises threads of this process",
        "Foundation.Thread": "a thread is an execution context of this process",
        "Foundation.Process": "a child-process handle belongs to this process",
        "Foundation.Pipe": "a pipe's descriptors belong to this process",
        "Foundation.Stream": "a stream reads or writes this process's descriptors or buffers",
        "Foundation.Port": "a port is an endpoint of this process",
        "Foundation.RunLoop": runLoop,
        "Foundation.Timer": runLoop,
        "Foundation.NotificationCenter": notificationCenter,
        "FoundationEssentials.NotificationCenter": notificationCenter,
        "Foundation.OperationQueue": runLoop,
        "Foundation.Operation": runLoop,
        "Dispatch.DispatchObject": "a Dispatch object (queue, group, semaphore, source) is bound to this process's runtime",
        "Dispatch.DispatchWorkItem": "a Dispatch work item is bound to this process's runtime",
        "Atomics.ManagedAtomic": atomic,
        "Atomics.ManagedAtomicLazyReference": atomic,
    ]

    static let taskRefusal = "a task handle refers to a task running in this process's executor"
    private static let continuation = "a continuation resumes a task suspended in this process"
    private static let asyncStream = "an async stream's buffer and waiting consumer belong to this process"

    private static let refusedValueTypes: [String: String] = [
        "Swift.Task": taskRefusal,
        "Swift.UnsafeCurrentTask": taskRefusal,
        "Swift.TaskGroup": taskRefusal,
        "Swift.ThrowingTaskGroup": taskRefusal,
        "Swift.DiscardingTaskGroup": taskRefusal,
        "Swift.ThrowingDiscardingTaskGroup": taskRefusal,
        "Swift.UnownedJob": "a job belongs to this process's executor",
        "Swift.UnownedSerialExecutor": "an executor belongs to this process",
        "Swift.UnownedTaskExecutor": "an executor belongs to this process",
        "Swift.Unmanaged": "an Unmanaged reference is retained and released by hand in this process; a copy "
            + "could not keep that balance (pack the object itself)",
        "Swift.CheckedContinuation": continuation,
        "Swift.UnsafeContinuation": continuation,
        "Swift.AsyncStream": asyncStream,
        "Swift.AsyncStream.Continuation": continuation,
        "Swift.AsyncThrowingStream": asyncStream,
        "Swift.AsyncThrowingStream.Continuation": continuation,
    ]

    /// A reason to refuse a class (or a subclass of it), or nil.
    static func refusal(forClassNamed name: String) -> String? {
        refusedClasses[withoutGenericArguments(name)]
    }

    /// Why an actor must not travel: a distributed actor has a way to be reached elsewhere.
    static func actorRefusal(for type: Any.Type) -> String {
        if type is any DistributedActor.Type {
            return "a distributed actor lives in this process; send its id and resolve it "
                + "with the receiver's actor system instead"
        }
        return "an actor is bound to this process's executor and isolation"
    }

    /// Noncopyable types are refused as a kind: the runtime withholds their metadata from
    /// reflection, so Mutex and Atomic cannot be told from other unique owners, and a value that
    /// is meant to exist once should not be duplicated into another process anyway.
    static func noncopyableRefusal(_ what: String) -> String {
        "\(what) is noncopyable (~Copyable), such as Synchronization's Mutex or Atomic: it owns something "
            + "uniquely in this process (a lock, an atomic word, a resource), and the runtime hides its type from "
            + "reflection; pack the value it protects instead"
    }

    /// A reason to refuse a struct or enum, or nil.
    static func refusal(forValueTypeNamed name: String) -> String? {
        refusedValueTypes[withoutGenericArguments(name)]
    }

    /// `Swift.AsyncStream<Swift.Int>.Continuation` → `Swift.AsyncStream.Continuation`.
    private static func withoutGenericArguments(_ name: String) -> String {
        guard name.contains("<") else { return name }
        var result = ""
        var depth = 0
        for character in name {
            switch character {
            case "<": depth += 1
            case ">": depth -= 1
            default: if depth == 0 { result.append(character) }
            }
        }
        return result
    }
}
