/// Command line: `heappack-bench [--quick] [--runs N] [W1 W5 ...]`, parsed by hand because
/// the target may not depend on anything but HeapPack.
struct Arguments {
    var runs = 5
    var selected: [String] = []

    static let usage = """
        usage: heappack-bench [--quick] [--runs N] [WORKLOAD ...]
          --quick      3 measured runs per workload instead of 5
          --runs N     N measured runs per workload (N >= 1)
          WORKLOAD     W1..W7 (case-insensitive); default: all
        Each workload runs one warm-up round first; reported figures are median, min and max.
        """

    enum ParseResult {
        case run(Arguments)
        case help
        case error(String)
    }

    static func parse(_ arguments: [String]) -> ParseResult {
        var parsed = Arguments()
        var index = 0
        let known = Set(allWorkloads.map(\.id))
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "-h", "--help":
                return .help
            case "--quick":
                parsed.runs = 3
            case "--runs":
                index += 1
                guard index < arguments.count, let runs = Int(arguments[index]), runs >= 1 else {
                    return .error("--runs needs a whole number of at least 1")
                }
                parsed.runs = runs
            default:
                let id = argument.uppercased()
                guard known.contains(id) else { return .error("unknown argument '\(argument)'") }
                if !parsed.selected.contains(id) { parsed.selected.append(id) }
            }
            index += 1
        }
        return .run(parsed)
    }
}
