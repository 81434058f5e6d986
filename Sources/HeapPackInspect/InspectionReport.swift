import HeapPack

/// The text `inspect` prints: header, images, types, then the object graph as an indented tree
/// that follows the references which brought each object in (the writer's breadth-first
/// order), with every other reference shown as a pointer to an object listed elsewhere.
struct InspectionReport {
    let inspection: PacketInspection
    let file: String
    var maxLines = 200
    var maxDepth = 32

    init(_ inspection: PacketInspection, file: String) {
        self.inspection = inspection
        self.file = file
    }

    var text: String {
        var lines = header + [""] + types
        if let problem = inspection.bodyProblem {
            lines += ["", "object graph: not shown: \(problem)"]
            if problem.code == .binaryMismatch {
                lines.append("  (only the binary that wrote the packet has its types; embed HeapPackInspect's "
                             + "InspectCommand in it and run its `inspect`)")
            }
        } else {
            lines += [""] + tree
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Said only of tagged packets, so the line of an untagged one stays as it was.
    private var authentication: String {
        switch inspection.authentication {
        case .none: ""
        case .unverified: "; authentication tag not checked (no key given)"
        case .verified: "; authentication tag verified"
        }
    }

    private var header: [String] {
        let i = inspection
        var lines = [
            "packet: \(file)",
            "  \(i.packetBytes) bytes: header \(i.headerBytes), body \(i.bodyBytes); format version \(i.formatVersion); "
                + "checksum \(i.checksumMatches ? "ok" : "MISMATCH (corrupted?)")" + authentication,
            "  root type: \(i.rootTypeName)",
            "  objects: \(i.announcedObjectCount)" + (i.objectNames.contains { !$0.isEmpty }
                ? "; named objects: " + i.objectNames.filter { !$0.isEmpty }.joined(separator: ", ") : ""),
            "images:",
        ]
        for (index, image) in i.images.enumerated() {
            let match = index == 0
                ? (image.matchesThisProcess ? "this executable" : "another executable")
                : (image.matchesThisProcess ? "loaded here" : "NOT loaded here")
            lines.append("  #\(index) \(image.name)  build-id \(image.buildID.isEmpty ? "(none)" : image.buildID)  [\(match)]")
        }
        return lines
    }

    private var types: [String] {
        var lines = ["type table: \(inspection.typeNames.count) entries"]
        for (index, name) in inspection.typeNames.enumerated() { lines.append("  #\(index) \(name)") }
        guard inspection.bodyProblem == nil else { return lines }
        lines += ["", "objects and bytes per type (root value included):", "  objects     bytes  type"]
        for row in inspection.typeSummary {
            lines.append("  " + pad(row.count, 7) + " " + pad(row.bytes, 9) + "  " + row.typeName)
        }
        lines.append("  trailer (weak and unowned targets): \(inspection.trailerBytes) bytes")
        return lines
    }

    private func pad(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private func describe(_ object: PacketInspection.Object) -> String {
        "#\(object.index) \(object.typeName)  [" + (object.elementCount.map { "elements: \($0), " } ?? "")
            + "\(object.bytes) bytes]"
    }

    private var tree: [String] {
        let objects = inspection.objects
        var children: [Int?: [PacketInspection.Reference]] = [:]
        for reference in inspection.references { children[reference.from, default: []].append(reference) }
        var lines = ["object graph (\(objects.count) objects, \(inspection.references.count) references):",
                     "root: \(inspection.rootTypeName)  [\(inspection.rootBytes) bytes]"]
        // Explicit stack: the tree of a million-node list is a million levels deep.
        var stack: [(reference: PacketInspection.Reference, depth: Int)] =
            (children[nil] ?? []).reversed().map { ($0, 1) }
        var omitted = 0
        while let (reference, depth) = stack.popLast() {
            if lines.count >= maxLines + 2 { omitted += 1; continue }
            let indent = String(repeating: "  ", count: depth)
            let path = reference.path.isEmpty ? "" : reference.path + " "
            let ownership = reference.ownership == .strong ? "" : "\(reference.ownership) "
            switch reference.target {
            case .object(let index) where reference.introducesTarget && index < objects.count:
                lines.append(indent + path + ownership + "→ " + describe(objects[index]))
                let below = children[index] ?? []
                if depth >= maxDepth {
                    omitted += below.count
                } else {
                    stack += below.reversed().map { ($0, depth + 1) }
                }
            case .object(let index):
                lines.append(indent + path + ownership + "→ #\(index) (listed elsewhere)")
            case .named(let name):
                lines.append(indent + path + ownership + "→ the receiver's object named \"\(name)\"")
            case .staticSingleton:
                lines.append(indent + path + "→ the empty-array singleton")
            case .none:
                lines.append(indent + path + ownership + "→ nil (its target did not travel)")
            }
        }
        if omitted > 0 {
            lines.append("… \(omitted) more references not shown (--max-lines \(maxLines), --max-depth \(maxDepth))")
        }
        return lines
    }
}
