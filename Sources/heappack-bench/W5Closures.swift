let w5Count = 100_000

/// Kept out of the workload's body so each closure gets its own context holding `(i, label)`.
func makeItemClosure(_ i: Int) -> () -> Int {
    let label = "item-\(i)"
    return { i + label.utf8.count }
}

func buildW5Closures() -> () -> Int {
    let closures = (0..<w5Count).map(makeItemClosure)
    return { closures.reduce(0) { $0 &+ $1() } }
}

let w5Closures = Workload(id: "W5", title: "closures: [() -> Int] of 100,000, each capturing (i, \"item-<i>\"); returns the sum of calls",
                          objects: w5Count, objectNoun: "closures") {
    try Prepared(build: buildW5Closures, check: 5_000_938_890,
                 notes: ["no JSON/plist baseline: closures have no data-only form"])
}
