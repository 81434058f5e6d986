import Foundation

/// The largest deviation from the largest size's per-object time that still counts as linear.
let linearTolerance = 0.20

/// One size's per-object times: each pass's median, and the median of those; nil where the phase
/// has no samples (it failed or was refused).
struct SweepRow {
    let objects: Int
    let packetBytes: Int?
    let rounds: Int
    let passes: [Phase: [Double?]]

    enum Phase { case pack, unpack, native }

    init(_ measurement: SweepMeasurement) {
        func perObject(_ key: String) -> [Double?] {
            measurement.passes.map { recorder in recorder.stats(key).map { $0.median / Double(measurement.objects) } }
        }
        objects = measurement.objects
        packetBytes = measurement.passes.first?.sizes["hp"]
        rounds = measurement.passes.reduce(0) { $0 + ($1.stats("native")?.count ?? 0) }
        passes = [.pack: perObject("hp.pack"), .unpack: perObject("hp.unpack"), .native: perObject("native")]
    }

    var pack: Double? { self[.pack] }
    var unpack: Double? { self[.unpack] }
    var native: Double? { self[.native] }

    subscript(phase: Phase) -> Double? { Stats((passes[phase] ?? []).compactMap { $0 })?.median }

    /// The median over passes of this row's time relative to `reference`'s in the same pass.
    func deviation(_ phase: Phase, from reference: SweepRow) -> Double? {
        let mine = passes[phase] ?? [], theirs = reference.passes[phase] ?? []
        return Stats(zip(mine, theirs).compactMap { relativeDifference($0, from: $1) })?.median
    }
}

/// Prints one sweep workload's table, its verdict and its `SWEEP` lines; returns whether every
/// size passed its checks. A verdict of "not linear" is a finding, not a failure.
func reportSweep(_ workload: SweepWorkload, _ measurements: [SweepMeasurement]) -> Bool {
    let rows = measurements.map(SweepRow.init)
    let reference = rows.last
    let referenceName = reference.map { "row of \(grouped($0.objects)) \(workload.objectNoun)" } ?? "largest row"

    print("== \(workload.id) sweep: \(workload.title)")
    print("   per object: the median over \(rows.first.map { "\($0.passes[.native]?.count ?? 0)" } ?? "0") passes of each "
          + "pass's median; Δ: the median over passes of the time relative to the \(referenceName) in the same pass")
    print("   " + padLeft("objects", 10) + padLeft("packet bytes", 14) + padLeft("rounds", 8)
          + padLeft("pack ns/obj", 13) + padLeft("unpack ns/obj", 15) + padLeft("native ns/obj", 15)
          + padLeft("unpack ÷ native", 17) + padLeft("pack Δ", 9) + padLeft("unpack Δ", 10) + padLeft("native Δ", 10))
    for row in rows {
        func nanos(_ value: Double?) -> String { value.map { fixed($0, 1) } ?? "-" }
        func delta(_ phase: SweepRow.Phase) -> String {
            guard let reference, row.objects != reference.objects else { return "ref" }
            return row.deviation(phase, from: reference).map(percent) ?? "-"
        }
        let unpackVersusNative = row.unpack.flatMap { unpack in row.native.map { ratio(unpack / $0) } } ?? "-"
        print("   " + padLeft(grouped(row.objects), 10) + padLeft(row.packetBytes.map(grouped) ?? "-", 14)
              + padLeft("\(row.rounds)", 8) + padLeft(nanos(row.pack), 13) + padLeft(nanos(row.unpack), 15)
              + padLeft(nanos(row.native), 15) + padLeft(unpackVersusNative, 17)
              + padLeft(delta(.pack), 9) + padLeft(delta(.unpack), 10) + padLeft(delta(.native), 10))
    }

    var passed = true
    for measurement in measurements {
        switch measurement.outcome {
        case .ok: continue
        case .unsupported(let message), .failed(let message):
            print("   FAIL \(workload.id) at \(grouped(measurement.objects)) \(workload.objectNoun): \(message)")
            passed = false
        }
    }
    print("   verdict: " + linearityVerdict(rows, referenceName: referenceName, noun: workload.objectNoun))
    for (measurement, row) in zip(measurements, rows) {
        print(sweepLine(workload, measurement, row, reference: reference))
    }
    print("")
    return passed
}

/// Whether pack and unpack per-object times lie within `linearTolerance` of the largest size's
/// at every size, naming each one that does not.
func linearityVerdict(_ rows: [SweepRow], referenceName: String, noun: String) -> String {
    guard let reference = rows.last else { return "no sizes measured" }
    var outside: [String] = []
    for row in rows.dropLast() {
        for (phase, name) in [(SweepRow.Phase.pack, "pack"), (.unpack, "unpack")] {
            guard let difference = row.deviation(phase, from: reference) else {
                return "not computed: \(name) was not measured at \(grouped(row.objects)) \(noun)"
            }
            if abs(difference) > linearTolerance {
                outside.append("\(name) at \(grouped(row.objects)) \(noun) \(percent(difference))")
            }
        }
    }
    let band = "±\(Int((linearTolerance * 100).rounded()))%"
    if outside.isEmpty {
        return "linear: pack and unpack per-object times at every size lie within \(band) of the \(referenceName)"
    }
    return "NOT linear within \(band) of the \(referenceName): " + outside.joined(separator: ", ")
}

func sweepLine(_ workload: SweepWorkload, _ measurement: SweepMeasurement, _ row: SweepRow,
               reference: SweepRow?) -> String {
    var fields: [(String, String)] = [("id", workload.id)]
    switch measurement.outcome {
    case .ok: fields.append(("status", "ok"))
    case .unsupported: fields.append(("status", "unsupported"))
    case .failed: fields.append(("status", "FAIL"))
    }
    fields += [("objects", "\(row.objects)"), ("rounds", "\(row.rounds)")]
    if let bytes = row.packetBytes { fields.append(("size", "\(bytes)")) }
    for (name, value) in [("pack", row.pack), ("unpack", row.unpack), ("native", row.native)] {
        if let value { fields.append(("\(name)_ns_per_object", fixed(value, 2))) }
    }
    if let unpack = row.unpack, let native = row.native {
        fields.append(("unpack_vs_native", fixed(unpack / native, 4)))
    }
    if let reference, reference.objects != row.objects {
        for (name, phase) in [("pack", SweepRow.Phase.pack), ("unpack", .unpack)] {
            if let difference = row.deviation(phase, from: reference) { fields.append(("\(name)_delta", fixed(difference, 4))) }
        }
    }
    switch measurement.outcome {
    case .ok: break
    case .unsupported(let message), .failed(let message): fields.append(("error", message))
    }
    return "SWEEP " + fields.map { "\($0.0)=\(resultValue($0.1))" }.joined(separator: " ")
}

/// `value` relative to `reference`, as a fraction: 0.12 is 12% slower per object.
func relativeDifference(_ value: Double?, from reference: Double?) -> Double? {
    guard let value, let reference, reference > 0 else { return nil }
    return value / reference - 1
}

func percent(_ fraction: Double) -> String {
    let rounded = (fraction * 100).rounded()
    return rounded == 0 ? "0%" : String(format: "%+.0f%%", rounded)
}
