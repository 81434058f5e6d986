import Testing
import HeapPack

final class Node { var value: Int; var next: Node?; init(_ v: Int, _ n: Node?) { value = v; next = n } }

@Test func smoke() throws {
    let x = 41
    let s = "hello, a string longer than fifteen bytes"
    let a = [1, 2, 3]
    let n = Node(1, Node(2, nil))
    n.next!.next = n
    let f: () -> String = { "\(x + 1) \(s) \(a.reduce(0, +)) \(n.value) \(n.next!.next! === n)" }
    let bytes = try pack(f)
    print("packet", bytes.count)
    let g = try unpack(bytes, as: (() -> String).self)
    #expect(g() == f())
    print(g())
}
