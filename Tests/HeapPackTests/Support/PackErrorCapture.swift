import HeapPack

/// The `PackError` that `body` throws, or nil if it throws none (or another error), for tests
/// that check an error's code, path and type name.
func packError(_ body: () throws -> Void) -> PackError? {
    do { try body(); return nil } catch let error as PackError { return error } catch { return nil }
}
