import HeapPackTestSupport

extension NodeLedger.Counts {
    /// The failure message when made and freed differ. More frees than makes means a node
    /// freed twice, or copies an unpack made beyond those its value lists (so never adopted).
    var imbalance: String {
        alive > 0 ? "\(made) nodes made, \(freed) freed: \(alive) never freed"
            : "\(made) nodes made, \(freed) freed: \(-alive) more frees than nodes"
    }
}
