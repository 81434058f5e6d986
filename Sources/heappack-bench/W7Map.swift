let w7Count = 100_000

func w7Key(_ i: Int) -> Int { (i &* 2_654_435_761) & 0xFFFF_FFFF }

/// `[hits, total value bytes]` over 1,000 lookups. The keys are rehashed in whatever process
/// runs this, which is the point: hashing is seeded per process.
func w7Lookups(_ map: [Int: String]) -> [Int] {
    var hits = 0
    var bytes = 0
    for j in 0..<1_000 {
        let i = j * 7919 % w7Count
        if let value = map[w7Key(i)] {
            if value == "value-\(i)" { hits += 1 }
            bytes += value.utf8.count
        }
    }
    return [hits, bytes]
}

let w7Expected = [1_000, 10_883]

func makeW7Map() -> [Int: String] {
    var map: [Int: String] = [:]
    map.reserveCapacity(w7Count)
    for i in 0..<w7Count { map[w7Key(i)] = "value-\(i)" }
    return map
}

func buildW7Map() -> () -> [Int] {
    let map = makeW7Map()
    return { w7Lookups(map) }
}

let w7Map = Workload(id: "W7", title: "map: [Int: String] of 100,000, key(i) -> \"value-<i>\"; returns 1,000 lookups",
                     objects: w7Count, objectNoun: "entries") {
    try Prepared(
        build: buildW7Map, check: w7Expected,
        baselines: codableBaselines(makeW7Map()) { w7Lookups($0) == w7Expected },
        notes: ["JSON/plist data-only form: the [Int: String] itself (the encoders write the Int keys as strings)"])
}
