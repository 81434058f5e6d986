import HeapPack

/// The first frame a worker sends: which binary it runs. It is plain text, not a packet, so the
/// coordinator can refuse a worker of another binary before reading any packet of it:
///
///     heappack-cluster 1
///     pid 12345
///     image <build-id hex> <path>        one line per loaded image, main executable first
///
/// Images without a build-id and the kernel's vDSO (which differs between kernels, not
/// binaries) are left out.
enum _Handshake {
    static let greeting = "heappack-cluster 1"

    struct Image: Equatable {
        var buildID: String
        var path: String
    }

    static func hello(pid: Int32) -> [UInt8] {
        var text = greeting + "\npid \(pid)\n"
        for image in images() { text += "image \(image.buildID) \(image.path)\n" }
        return Array(text.utf8)
    }

    /// This process's images, as a hello lists them.
    static func images() -> [Image] {
        let loaded = (try? Packer.shared.loadedImages()) ?? []
        return loaded.filter { !$0.buildID.isEmpty && !$0.path.hasPrefix("linux-vdso") && !$0.path.hasPrefix("linux-gate") }
            .map { Image(buildID: $0.buildID, path: $0.path) }
    }

    /// Checks a worker's hello against this process's images. Throws `.foreignBinary` naming the
    /// first image that differs, or `.transport` for a frame that is no hello at all.
    static func check(_ frame: [UInt8], from worker: WorkerInfo, expected: [Image]) throws(ClusterError) {
        let lines = String(decoding: frame.prefix(1 << 20), as: UTF8.self).split(separator: "\n")
        guard lines.first == Substring(greeting) else {
            throw ClusterError(code: .transport, message: "\(worker) did not open with a handshake: is it a HeapPackCluster worker?",
                               worker: worker)
        }
        let images = lines.filter { $0.hasPrefix("image ") }.map { line -> Image in
            let fields = line.dropFirst("image ".count).split(separator: " ", maxSplits: 1)
            return Image(buildID: String(fields.first ?? ""), path: fields.count > 1 ? String(fields[1]) : "")
        }
        // The main executable must be the same, and so must every library both processes have
        // loaded. One process may have loaded more (MPI_Init dlopens Open MPI's plugins; a
        // worker has not): a packet naming an image its reader lacks is refused by the reader.
        let mine = Dictionary(expected.map { ($0.path, $0.buildID) }, uniquingKeysWith: { first, _ in first })
        var differing: (found: Image, mine: Image)?
        if let main = images.first, let myMain = expected.first, main.buildID != myMain.buildID {
            differing = (main, myMain)
        } else {
            differing = images.lazy.compactMap { image in
                mine[image.path].flatMap { $0 == image.buildID ? nil : (image, Image(buildID: $0, path: image.path)) }
            }.first
        }
        guard images.isEmpty || expected.isEmpty || differing != nil else { return }
        var message = "\(worker) runs another binary than this coordinator and was refused"
        if let (found, mine) = differing {
            message += ": its \(found.path.isEmpty ? "main executable" : found.path) has build-id \(found.buildID),"
                + " this process's \(mine.path.isEmpty ? "main executable" : mine.path) has \(mine.buildID)"
        } else {
            message += ": it has \(images.count) images with build-ids, this process \(expected.count)"
        }
        throw ClusterError(code: .foreignBinary, message: message, worker: worker)
    }
}
