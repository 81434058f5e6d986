/// Command line: `heappack-bench [--quick] [--runs N] [W1 W5 ...]` or `heappack-bench --sweep`,
/// parsed by hand because the target may not depend on anything but HeapPack.
struct Arguments {
    var runs = 5
    var selected: [String] = []
    var sweep = false

    static let usage = """
        usage: heappack-bench [--quick] [--runs N] [WORKLOAD ...]
               heappack-bench --sweep [--quick] [--runs N]
          --quick      3 measured runs per workload instead of 5
          --runs N     N measured runs per workload (N >= 1)
          WORKLOAD     W1..W7 (case-insensitive); default: all
          --sweep      instead of the workloads: W2 and W3 at about 10^3, 10^4, 10^5 and 10^6
                       objects, a table of pack, unpack and native-construction time per object
                       (issue 10's linear-cost check), in 5 passes over the sizes; in each pass
                       each size runs at least N rounds (5, or 3 with --quick) and at least
                       0.1 s of timed work, at most 700 rounds, and is compared with the largest
        Each workload, and each sweep size, runs one warm-up round first; workloads report the
        median, min and max of their runs, the sweep the median.
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
            case "--sweep":
                parsed.sweep = true
            default:
                let id = argument.uppercased()
                guard known.contains(id) else { return .error("unknown argument '\(argument)'") }
                if !parsed.selected.contains(id) { parsed.selected.append(id) }
            }
            index += 1
        }
        if parsed.sweep && !parsed.selected.isEmpty {
            return .error("--sweep always runs W2 and W3 and takes no workload names")
        }
        return .run(parsed)
    }
}
