import Testing
import HeapPack

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
