/// Where a generic closure context finds a generic parameter's metadata (capture-descriptor
/// metadata sources, RemoteInspection's MetadataSource).
indirect enum _MetadataSource {
    case binding(Int)               // B<n>: binding word n
    case referenceCapture(Int)      // R<n>: the isa of the object in capture n
    case metadataCapture(Int)       // M<n>: the metatype value in capture n
    case genericArgument(Int, _MetadataSource)  // G<n><source>_: generic argument n of that metadata

    static func parse(_ text: String) -> _MetadataSource? {
        var rest = Substring(text)
        guard let source = parse(&rest), rest.isEmpty else { return nil }
        return source
    }

    private static func parse(_ text: inout Substring) -> _MetadataSource? {
        guard let kind = text.popFirst() else { return nil }
        let digits = text.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        text = text.dropFirst(digits.count)
        switch kind {
        case "B": return .binding(number)
        case "R": return .referenceCapture(number)
        case "M": return .metadataCapture(number)
        case "G":
            guard let inner = parse(&text), text.popFirst() == "_" else { return nil }
            return .genericArgument(number, inner)
        default: return nil
        }
    }

    var capturesUsed: [Int] {
        switch self {
        case .binding: []
        case .referenceCapture(let n), .metadataCapture(let n): [n]
        case .genericArgument(_, let inner): inner.capturesUsed
        }
    }
}
