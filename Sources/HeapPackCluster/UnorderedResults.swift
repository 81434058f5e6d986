/// The results of ``Cluster/mapUnordered(_:chunkSize:_:)``: `(index, value)` pairs in the order
/// they arrive. Values are rebuilt in the iterating task.
public struct UnorderedResults<Output>: AsyncSequence {
    public typealias Element = (index: Int, value: Output)
    public typealias Failure = ClusterError

    let dispatcher: _Dispatcher
    let batch: Result<_Batch, ClusterError>

    public func makeAsyncIterator() -> Iterator { Iterator(dispatcher: dispatcher, batch: batch) }

    public struct Iterator: AsyncIteratorProtocol {
        let dispatcher: _Dispatcher
        let batch: Result<_Batch, ClusterError>
        private var deliveries: AsyncStream<_Delivery>.Iterator?
        private var ready: [(index: Int, value: Output)] = []
        private var remaining = 0
        private var submission: _Submission?
        private var finished = false

        init(dispatcher: _Dispatcher, batch: Result<_Batch, ClusterError>) {
            self.dispatcher = dispatcher
            self.batch = batch
        }

        public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async throws(ClusterError) -> Element? {
            if finished { return nil }
            if submission == nil {
                let batch: _Batch
                switch self.batch {
                case .failure(let error):
                    finished = true
                    throw error
                case .success(let prepared): batch = prepared
                }
                remaining = batch.tasks.count
                deliveries = batch.deliveries.makeAsyncIterator()
                submission = _Submission(dispatcher: dispatcher, batch: batch.id)
                if remaining > 0 {
                    do {
                        try dispatcher.submit(batch.tasks)
                    } catch {
                        finished = true
                        throw error
                    }
                }
            }
            while ready.isEmpty {
                guard remaining > 0, let delivery = await deliveries?.next(isolation: actor) else {
                    finished = true
                    return nil
                }
                remaining -= 1
                do {
                    let outputs = try _Batch.results(of: delivery, as: Output.self, dispatcher: dispatcher)
                    let first = delivery.task.firstInput ?? 0
                    ready = outputs.enumerated().map { (first + $0.offset, $0.element) }.reversed()
                } catch {
                    finished = true
                    submission?.cancel()
                    throw error
                }
            }
            return ready.removeLast()
        }

        public mutating func next() async throws(ClusterError) -> Element? {
            try await next(isolation: nil)
        }
    }
}

/// Drops a batch's unstarted tasks when its iterator goes away before the end.
final class _Submission {
    let dispatcher: _Dispatcher
    let batch: UInt64

    init(dispatcher: _Dispatcher, batch: UInt64) {
        self.dispatcher = dispatcher
        self.batch = batch
    }

    func cancel() { dispatcher.cancel(batch: batch) }

    deinit { cancel() }
}
