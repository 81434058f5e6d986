/// What the parent sends its child for each graph: the graph's seed (for failure messages),
/// the number of the ledger its nodes count in, and the packet.
struct GraphRequest {
    let seed: UInt64
    let ledger: Int
    let packet: [UInt8]

    var encoded: [UInt8] { Self.bytes(of: seed) + Self.bytes(of: UInt64(truncatingIfNeeded: ledger)) + packet }

    init(seed: UInt64, ledger: Int, packet: [UInt8]) {
        self.seed = seed
        self.ledger = ledger
        self.packet = packet
    }

    init?(decoding frame: [UInt8]) {
        guard frame.count >= 16 else { return nil }
        seed = Self.word(frame[0..<8])
        ledger = Int(truncatingIfNeeded: Self.word(frame[8..<16]))
        packet = Array(frame[16...])
    }

    private static func bytes(of word: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    private static func word(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
}

/// What the child answers: one report per graph, and a last one when the parent closes the pipe.
/// Sent as one line of text, so that a garbled report can be quoted.
enum ChildReport: Equatable {
    /// The copy's rendering digest, and how many nodes the unpack made.
    case copied(digest: UInt64, copies: Int)
    case failed(String)
    /// The child's image base, how many graphs it unpacked, and its nodes' lives in all.
    case finished(imageBase: UInt, graphs: Int, made: Int, freed: Int, failures: Int)

    var encoded: [UInt8] {
        switch self {
        case let .copied(digest, copies): Array("copied \(digest) \(copies)".utf8)
        case let .failed(message): Array("failed \(message)".utf8)
        case let .finished(base, graphs, made, freed, failures):
            Array("finished \(base) \(graphs) \(made) \(freed) \(failures)".utf8)
        }
    }

    init?(decoding frame: [UInt8]) {
        let text = String(decoding: frame, as: UTF8.self)
        let words = text.split(separator: " ")
        switch words.first {
        case "copied" where words.count == 3:
            guard let digest = UInt64(words[1]), let copies = Int(words[2]) else { return nil }
            self = .copied(digest: digest, copies: copies)
        case "failed":
            self = .failed(String(text.dropFirst("failed ".count)))
        case "finished" where words.count == 6:
            guard let base = UInt(words[1]), let graphs = Int(words[2]), let made = Int(words[3]),
                  let freed = Int(words[4]), let failures = Int(words[5]) else { return nil }
            self = .finished(imageBase: base, graphs: graphs, made: made, freed: freed, failures: failures)
        default:
            return nil
        }
    }
}
