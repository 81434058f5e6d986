let w1Count = 1_000_000

func makeW1Numbers() -> [Int] { Array(0..<w1Count) }

func buildW1Flat() -> () -> Int {
    let numbers = makeW1Numbers()
    return { numbers.reduce(0, &+) }
}

let w1Flat = Workload(id: "W1", title: "flat: [Int] of 1,000,000, a[i] = i; returns the sum",
                      objects: w1Count, objectNoun: "ints") {
    try Prepared(
        build: buildW1Flat, check: 499_999_500_000,
        baselines: codableBaselines(makeW1Numbers()) { $0.reduce(0, &+) == 499_999_500_000 },
        notes: ["JSON/plist data-only form: the [Int] itself"])
}
