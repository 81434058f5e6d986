import Synchronization

/// Hands each event to every ``Cluster/progress`` stream open at the time. An AsyncStream has
/// one consumer, so each reader of `progress` gets a stream of its own.
final class _EventHub: Sendable {
    /// The open streams. A stream's termination handler removes it, holding the registry
    /// strongly (not the hub weakly: a weak reference's side table of a hub still alive at exit
    /// reads as a leak to LeakSanitizer). The cycle registry → stream → handler → registry ends
    /// when the stream ends: its reader drops it, or ``finish()`` ends them all.
    private final class Registry: Sendable {
        let state = Mutex<(next: Int, streams: [Int: AsyncStream<ClusterEvent>.Continuation], finished: Bool)>((0, [:], false))
    }
    private let registry = Registry()

    func subscribe() -> AsyncStream<ClusterEvent> {
        let (stream, continuation) = AsyncStream<ClusterEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let registry = registry
        let id: Int? = registry.state.withLock { state in
            guard !state.finished else { return nil }
            state.next += 1
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { _ in
            _ = registry.state.withLock { $0.streams.removeValue(forKey: id) }
        }
        let added = registry.state.withLock { state in
            guard !state.finished else { return false }
            state.streams[id] = continuation
            return true
        }
        if !added { continuation.finish() }
        return stream
    }

    var isObserved: Bool { registry.state.withLock { !$0.streams.isEmpty } }

    func send(_ event: ClusterEvent) {
        let streams = registry.state.withLock { Array($0.streams.values) }
        for stream in streams { stream.yield(event) }
    }

    func finish() {
        let streams = registry.state.withLock { state in
            state.finished = true
            defer { state.streams.removeAll() }
            return Array(state.streams.values)
        }
        for stream in streams { stream.finish() }
    }
}
