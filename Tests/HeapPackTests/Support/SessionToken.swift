import HeapPack

/// Bound to this process by the user's say-so. Shared by the customization and refusal-site
/// suites, whose expected paths name it `HeapPackTests.SessionToken`.
struct SessionToken: NeverTransferable {
    var raw: UInt64
    static var transferRefusal: String { "a session token is only valid in the process that opened the session" }
}
