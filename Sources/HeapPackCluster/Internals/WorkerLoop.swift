import HeapPack
import Glibc

/// A worker's life: hello, then orders until the coordinator closes the link. Transport-neutral:
/// it sees frames only.
enum _WorkerLoop {
    static func serve(link: some _CoordinatorLink, key: [UInt8]) -> Never {
        do {
            try link.send(_Handshake.hello(pid: getpid()))
            let clock = ContinuousClock()
            while let frame = try link.receive() {
                let start = clock.now
                let order: _Order
                do {
                    order = try unpack(frame, as: _Order.self, options: UnpackOptions(authenticationKey: key))
                } catch {
                    try link.send(packed(.refused(error), key: key))
                    continue
                }
                let orderUnpacked = clock.now
                var result = order.job()
                // The results were packed inside the job (and timed there); the reply around
                // them is a copy of those bytes.
                result.unpackNanoseconds += _nanoseconds(orderUnpacked - start)
                let reply = packed(.report(taskID: order.taskID, result: result), key: key)
                try link.send(reply)
            }
        } catch {
            _workerExit("lost the link to the coordinator: \(error.message)", status: 74)
        }
        exit(0)
    }

    private static func packed(_ message: _WorkerMessage, key: [UInt8]) -> [UInt8] {
        do {
            return try pack(message, options: PackOptions(authenticationKey: key))
        } catch {
            // Every part of a message is plain data that packs; this is a HeapPack bug.
            _workerExit("could not pack a reply: \(error)", status: 70)
        }
    }
}
