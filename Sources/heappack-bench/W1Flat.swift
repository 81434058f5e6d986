let w1Count = 1_000_000

let w1Flat = Workload(id: "W1", title: "flat: [Int] of 1,000,000, a[i] = i; returns the sum",
                      objects: w1Count, objectNoun: "ints") {
    let numbers = Array(0..<w1Count)
    let closure: () -> Int = { numbers.reduce(0, &+) }
    return try Prepared(
        closure: closure, check: 499_999_500_000,
        baselines: codableBaselines(numbers) { $0.reduce(0, &+) == 499_999_500_000 },
        notes: ["JSON/plist data-only form: the [Int] itself"])
}
