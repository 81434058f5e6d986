import CHeapPack

/// An inline layout flattened to ops at absolute offsets, with a path per op for errors.
final class _ValueLayout {
    let typeName: String
    let size: Int
    let stride: Int
    let alignMask: Int
    let ops: [hp_op]
    /// One path per op, e.g. `[".owner", ".sink"]`; joined with " > " in error paths.
    let labels: [[String]]
    var cPlan: UnsafeMutablePointer<hp_plan>?
    /// Set from the value witnesses once the layout is made (layouts made without metadata
    /// never sit in an existential).
    var boxedInExistential = false

    init(typeName: String, size: Int, stride: Int, alignMask: Int, ops: [hp_op] = [], labels: [[String]] = []) {
        self.typeName = typeName
        self.size = size
        self.stride = stride
        self.alignMask = alignMask
        self.ops = ops
        self.labels = labels
    }
}
