import HeapPack

extension Packer {
    /// How many heap objects `packet` holds (class instances, array storage, closure contexts,
    /// boxes), as `inspect` reads them. Every packet is inspected, so inspection too runs on
    /// every thread over the shared Packer, and must agree with the packet's header.
    func objectCount(of packet: [UInt8]) throws -> Int {
        let inspection = try inspect(packet)
        if let problem = inspection.bodyProblem { throw problem }
        guard inspection.objects.count == inspection.announcedObjectCount else {
            throw InspectionMismatch(found: inspection.objects.count, announced: inspection.announcedObjectCount)
        }
        return inspection.objects.count
    }
}

struct InspectionMismatch: Error, CustomStringConvertible {
    let found: Int
    let announced: Int
    var description: String { "inspection found \(found) objects, the header announces \(announced)" }
}
