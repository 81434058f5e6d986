import Foundation

/// JSONEncoder/JSONDecoder and binary PropertyListEncoder/Decoder on the data-only form of a
/// workload. `verify` checks the decoded copy (untimed) so a baseline cannot win by being
/// wrong.
func codableBaselines<D: Codable>(_ data: D, verify: @escaping (D) -> Bool) -> [Phase] {
    let json = Phase(name: "json") { recorder in
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        let encoded = try recorder.time("json.encode") { try encoder.encode(data) }
        recorder.sizes["json"] = encoded.count
        let decoded = try recorder.time("json.decode") { try decoder.decode(D.self, from: encoded) }
        guard verify(decoded) else { throw CheckFailure("JSON round trip changed the data") }
    }
    let plist = Phase(name: "plist") { recorder in
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        let decoder = PropertyListDecoder()
        let encoded = try recorder.time("plist.encode") { try encoder.encode(data) }
        recorder.sizes["plist"] = encoded.count
        let decoded = try recorder.time("plist.decode") { try decoder.decode(D.self, from: encoded) }
        guard verify(decoded) else { throw CheckFailure("binary plist round trip changed the data") }
    }
    return [json, plist]
}
