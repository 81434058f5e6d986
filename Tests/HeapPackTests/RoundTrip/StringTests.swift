import Testing
@testable import HeapPack

@Suite("Strings and characters")
struct StringTests {
    struct StringHolder {
        var first: String
        var second: String
        var list: [String]
    }

    @Test(arguments: [
        "",
        "a",
        "exactly15bytes!",          // the largest small (inline) string
        "sixteen bytes!!!",         // the smallest large string
        "a large string literal that lives in the binary's read-only data",
        "héllo",                    // non-ASCII, still small
        "emoji 👩‍👩‍👧‍👦 and 日本語 and ünïcödé, all stored out of line",
        "🦆",
    ])
    func roundTripStringLiterals(_ value: String) throws {
        let back = try roundTrip(value)
        #expect(back == value)
        #expect(back.utf8.count == value.utf8.count)
        #expect(Array(back.unicodeScalars) == Array(value.unicodeScalars))
    }

    @Test func roundTripRuntimeStrings() throws {
        let n = Int.random(in: 100...200)
        let native = String(repeating: "xyz", count: n) + "\(n)"
        let back = try roundTrip(native)
        #expect(back == native)

        // Appending may grow in place: that relies on the unpacked storage's capacity and refcount
        // being right.
        var grown = back
        grown.append(" and some more text")
        #expect(grown == native + " and some more text")
        #expect(back == native)

        let emoji = String(repeating: "🎉", count: n)
        let e = try roundTrip(emoji)
        #expect(e == emoji)
        #expect(e.count == n)

        let source = "prefix that will be dropped / the substring part that is long enough"
        let sub = source.split(separator: "/")[1]
        let fromSub = String(sub)
        #expect(try roundTrip(fromSub) == " the substring part that is long enough")

        let smallFromSub = String(source.prefix(6))
        #expect(try roundTrip(smallFromSub) == "prefix")

        let substring = try roundTrip(sub)
        #expect(substring == " the substring part that is long enough")
    }

    /// The reader lays out native storage itself for strings longer than a small string; each
    /// must behave as the standard library's own, across the sizes where its layout changes
    /// (a breadcrumbs pointer from 64 bytes, malloc's spare bytes claimed from 128).
    @Test(arguments: [16, 17, 47, 48, 63, 64, 65, 95, 96, 127, 128, 200, 1_000])
    func nativeStringsOfEverySize(_ count: Int) throws {
        // On this runtime the reader's own layout is in use (else every string here would go
        // through String(decoding:as:) and this test would check nothing of it).
        #expect(_nativeStringStorageAddress != 0)
        let ascii = String(repeating: "q", count: count - 1) + "!"
        let accented = "é" + String(repeating: "z", count: count - 2)  // two bytes, then ASCII
        // The ASCII check reads the last 16 bytes as one block wherever the count ends.
        let accentedLast = String(repeating: "z", count: count - 2) + "é"
        for original in [ascii, accented, accentedLast] {
            #expect(original.utf8.count == count)
            var back = try roundTrip(original)
            #expect(back == original)
            #expect(back.hashValue == original.hashValue)
            #expect(Array(back.utf8) == Array(original.utf8))
            #expect(back.utf8.withContiguousStorageIfAvailable { $0.count } == count)
            // UTF-16 offsets past the first 64 code units go through breadcrumbs, which the
            // storage keeps in its last word.
            #expect(back.utf16.count == original.utf16.count)
            let middle = back.utf16.index(back.utf16.startIndex, offsetBy: back.utf16.count / 2)
            #expect(back.utf16.distance(from: back.utf16.startIndex, to: middle) == back.utf16.count / 2)
            #expect(back[middle...] == original[original.utf16.index(original.startIndex, offsetBy: original.utf16.count / 2)...])
            back.append("+")
            #expect(back == original + "+")
        }
    }

    /// The elements of a [String] are read by a loop of their own, which lays out small strings
    /// and valid UTF-8 of 16 to 127 bytes itself; every other form goes through the reader's
    /// general string path. Each element must come back as the field above does.
    @Test(arguments: [16, 17, 63, 64, 127, 128, 200])
    func stringArrayElementsOfEverySize(_ count: Int) throws {
        let ascii = String(repeating: "q", count: count - 1) + "!"
        let accented = "é" + String(repeating: "z", count: count - 2)
        let accentedLast = String(repeating: "z", count: count - 2) + "é"
        let original = ["small", ascii, accented, "héllo", accentedLast, ascii, ""]
        let back = try roundTrip(original)
        #expect(back == original)
        for (element, expected) in zip(back, original) {
            #expect(Array(element.utf8) == Array(expected.utf8))
            #expect(element.hashValue == expected.hashValue)
            #expect(element.utf16.count == expected.utf16.count)
            var grown = element
            grown.append("+")
            #expect(grown == expected + "+")
        }
    }

    @Test("invalid UTF-8 longer than a small string is repaired, as String(decoding:as:) does")
    func invalidUTF8IsRepaired() throws {
        struct Text { var text: String }
        let original = String(repeating: "v", count: 40)
        let packet = try pack(Text(text: original))
        var body = bodyBytes(packet)
        let at = try #require(offset(of: Array(original.utf8.prefix(8)), in: body))
        body[at + 3] = 0xFF
        let back = try unpack(resealed(withBody(packet, body)), as: Text.self)
        var expected = Array(original.utf8)
        expected[3] = 0xFF
        #expect(back.text == String(decoding: expected, as: UTF8.self))
        #expect(back.text.unicodeScalars.contains("\u{FFFD}"))
    }

    /// 40 bytes, 100 (a breadcrumbs word) and 200 (a two-byte length: the general path), each
    /// after 100 long elements, so that the list of strings made has grown on the way.
    @Test("invalid UTF-8 in an element of a [String] is repaired too", arguments: [40, 100, 200])
    func invalidUTF8InAnArrayIsRepaired(_ count: Int) throws {
        let before = (0..<100).map { "element \($0), long enough for native storage" }
        let broken = String(repeating: "w", count: count - 8) + "marker!!"
        let original = before + [broken, "last"]
        let packet = try pack(original)
        var body = bodyBytes(packet)
        let at = try #require(offset(of: Array("marker!!".utf8), in: body))
        body[at + 3] = 0xFF
        let back = try unpack(resealed(withBody(packet, body)), as: [String].self)
        var expected = Array(broken.utf8)
        expected[count - 8 + 3] = 0xFF
        #expect(back == before + [String(decoding: expected, as: UTF8.self), "last"])
        #expect(back[100].unicodeScalars.contains("\u{FFFD}"))
    }

    /// The strings made before the failure are freed once each (the sanitizer run sees a string
    /// left or freed twice), those of 200 and 1,000 bytes by the general path among them.
    @Test("an array whose last element is malformed fails after its long strings were made")
    func malformedLastElementFails() throws {
        let original = (0..<100).map { "element \($0), long enough for native storage" }
            + [String(repeating: "a", count: 40), String(repeating: "c", count: 200), String(repeating: "b", count: 100),
               String(repeating: "d", count: 1_000), "last"]
        let packet = try pack(original)
        var body = bodyBytes(packet)
        let at = try #require(offset(of: Array("last".utf8), in: body))
        #expect(body[at - 1] == 0)
        body[at - 1] = 7
        let error = packError { _ = try unpack(resealed(withBody(packet, body)), as: [String].self) }
        #expect(error?.code == .malformed, "\(String(describing: error))")
    }

    /// A class whose fields are references and Strings, read on the reader's short path for
    /// plain objects (and the closure contexts that capture a String, as W5's do).
    final class NamedNode {
        let name: String
        let tag: String
        var next: NamedNode?
        init(name: String, tag: String, next: NamedNode?) { self.name = name; self.tag = tag; self.next = next }
    }

    private func namedList(_ count: Int) -> NamedNode? {
        var head: NamedNode?
        for i in stride(from: count - 1, through: 0, by: -1) {
            head = NamedNode(name: "node \(i), long enough for native storage", tag: "t\(i)", next: head)
        }
        return head
    }

    @Test func objectsWithStringFieldsRoundTrip() throws {
        var node = try unpack(try pack(namedList(300)), as: NamedNode?.self)
        for i in 0..<300 {
            let current = try #require(node)
            #expect(current.name == "node \(i), long enough for native storage")
            #expect(current.tag == "t\(i)")
            node = current.next
        }
        #expect(node == nil)
        let closures: [() -> String] = (0..<50).map { i in let s = "item-\(i)"; return { s + "/\(i)" } }
        let back = try unpack(try pack(closures), as: [() -> String].self)
        #expect(back.map { $0() } == (0..<50).map { "item-\($0)/\($0)" })
    }

    /// The names and nodes made before the bad string are freed once each (the sanitizer run
    /// sees one left or freed twice).
    @Test("a bad string in the middle of a list of objects with String fields fails cleanly")
    func malformedStringFieldFails() throws {
        let packet = try pack(namedList(300))
        var body = bodyBytes(packet)
        let at = try #require(offset(of: Array("node 150,".utf8), in: body))
        // Its tag (1: UTF-8 follows) and length come just before the bytes.
        #expect(body[at - 2] == 1)
        body[at - 2] = 7
        let error = packError { _ = try unpack(resealed(withBody(packet, body)), as: NamedNode?.self) }
        #expect(error?.code == .malformed, "\(String(describing: error))")
    }

    @Test func roundTripStringSharedBetweenFields() throws {
        let s = String(repeating: "shared ", count: 20)
        let back = try roundTrip(StringHolder(first: s, second: s, list: [s, s]))
        #expect(back.first == s)
        #expect(back.second == s)
        #expect(back.list == [s, s])
        // Shared storage must be counted as shared: mutating one copy must not show through another.
        var m = back.first
        m.append("!")
        #expect(m == s + "!")
        #expect(back.second == s)
        #expect(back.list[0] == s)
    }

    @Test func charactersRoundTrip() throws {
        let characters: [Character] = ["a", "é", "🇩🇪", "👩‍👩‍👧‍👦", "\r\n"]
        #expect(try unpack(try pack(characters), as: [Character].self) == characters)
    }
}
