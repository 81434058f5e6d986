import HeapPack

/// The object graph in Graphviz DOT: one box per object, one edge per reference, labelled
/// with its path. Weak and unowned references are dashed; named objects are ellipses.
struct DotGraph {
    let inspection: PacketInspection
    /// Graphviz does not lay out millions of nodes usefully; larger graphs are cut.
    var maxNodes = 2_000

    init(_ inspection: PacketInspection) { self.inspection = inspection }

    var text: String {
        var lines = ["digraph packet {", "  node [shape=box, fontname=\"monospace\"];",
                     "  edge [fontname=\"monospace\", fontsize=10];",
                     "  root [label=\(quoted("root\n\(inspection.rootTypeName)\n\(inspection.rootBytes) bytes")), shape=doubleoctagon];"]
        let shown = inspection.objects.prefix(maxNodes)
        for object in shown {
            let size = (object.elementCount.map { "elements: \($0), " } ?? "") + "\(object.bytes) bytes"
            lines.append("  o\(object.index) [label=\(quoted("#\(object.index) \(object.typeName)\n\(size)"))];")
        }
        var nameNodes: [String: String] = [:]
        for reference in inspection.references {
            let from = reference.from.map { "o\($0)" } ?? "root"
            if let holder = reference.from, holder >= maxNodes { continue }
            let to: String
            switch reference.target {
            case .object(let index):
                guard index < maxNodes else { continue }
                to = "o\(index)"
            case .named(let name):
                if let known = nameNodes[name] {
                    to = known
                } else {
                    to = "named\(nameNodes.count)"
                    nameNodes[name] = to
                    lines.append("  \(to) [label=\(quoted("named \"\(name)\"")), shape=ellipse];")
                }
            case .staticSingleton, .none:
                continue
            }
            let style = reference.ownership == .strong ? "" : ", style=dashed"
            let label = (reference.ownership == .strong ? "" : "\(reference.ownership) ") + reference.path
            lines.append("  \(from) -> \(to) [label=\(quoted(label))\(style)];")
        }
        if inspection.objects.count > maxNodes {
            lines.append("  cut [label=\(quoted("\(inspection.objects.count - maxNodes) more objects not drawn")), shape=note];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return "\"" + escaped + "\""
    }
}
