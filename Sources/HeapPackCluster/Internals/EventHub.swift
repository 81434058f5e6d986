import Synchronization

/// Hands each event to every ``Cluster/progress`` stream open at the time. An AsyncStream has
/// one consumer, so each reader of `progress` gets a stream of its own.
final class _EventHub: Sendable {
    private let subscribers = Mutex<(next: Int, streams: [Int: AsyncStream<ClusterEvent>.Continuation], finished: Bool)>(
        (0, [:], false))

    func subscribe() -> AsyncStream<ClusterEvent> {
        let (stream, continuation) = AsyncStream<ClusterEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id: Int? = subscribers.withLock { state in
            guard !state.finished else { return nil }
            state.next += 1
            state.streams[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.streams.removeValue(forKey: id) }
        }
        return stream
    }

    var isObserved: Bool { subscribers.withLock { !$0.streams.isEmpty } }

    func send(_ event: ClusterEvent) {
        let streams = subscribers.withLock { Array($0.streams.values) }
        for stream in streams { stream.yield(event) }
    }

    func finish() {
        let streams = subscribers.withLock { state in
            state.finished = true
            defer { state.streams.removeAll() }
            return Array(state.streams.values)
        }
        for stream in streams { stream.finish() }
    }
}
