/// Builds the workload's data and the closure over it in plain Swift: what an unpack
/// competes with, since a receiver without HeapPack would have to construct the same objects.
///
/// Only the build is timed. The closure leaves the timer as its result, so its teardown
/// happens after the clock stops; the call and the check run untimed too.
func nativePhase<R: Equatable>(build: @escaping () -> () -> R, check: R) -> Phase {
    Phase(name: "native") { recorder in
        let closure = recorder.time("native") { build() }
        let result = closure()
        guard result == check else {
            throw CheckFailure("the natively built closure returned \(result), expected \(check)")
        }
    }
}
