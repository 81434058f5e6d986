/// What must not travel, and why. Checked against every class in an object's superclass chain
/// while its layout plan is built, so a refusal costs nothing on later packs of allowed types.
/// (The full policy, with customization hooks, is docs/TRANSFERABILITY.md's subject.)
enum _TransferPolicy {
    private static let refusedClasses: [String: String] = [
        "Foundation.FileHandle": "a file handle belongs to this process's descriptor table",
        "Foundation.NSLock": "a lock guards this process's memory; its state means nothing elsewhere",
        "Foundation.NSRecursiveLock": "a lock guards this process's memory; its state means nothing elsewhere",
        "Foundation.NSCondition": "a condition variable synchronises threads of this process",
        "Foundation.NSConditionLock": "a condition lock synchronises threads of this process",
        "Foundation.Thread": "a thread is an execution context of this process",
        "Foundation.Process": "a child-process handle belongs to this process",
        "Foundation.Pipe": "a pipe's descriptors belong to this process",
        "Dispatch.DispatchObject": "a Dispatch object (queue, group, semaphore, source) is bound to this process's runtime",
        "Dispatch.DispatchWorkItem": "a Dispatch work item is bound to this process's runtime",
    ]

    /// A reason to refuse a class (or a subclass of it), or nil.
    static func refusal(forClassNamed name: String) -> String? {
        let base = name.firstIndex(of: "<").map { String(name[..<$0]) } ?? name
        return refusedClasses[base]
    }
}
