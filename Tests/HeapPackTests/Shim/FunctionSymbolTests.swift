import CHeapPack
import Dispatch
import Synchronization
import Testing

// An image's function symbols are read once, by whichever thread asks first, and published for
// the others (symbols.c). These tests ask from many threads at once on a fresh image table, so
// that the first question races (scripts/test.sh runs them under AddressSanitizer too).

@Suite("Shim: function symbols")
struct FunctionSymbolTests {
    /// A function of this test binary, which is not stripped.
    private static let function: @convention(c) (Int32) -> Int32 = { $0 &* 3 }

    private struct Answer: Equatable {
        var entry = false
        var insideIsEntry = true
        var name = ""
    }

    private static func name(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("threads asking at once get the same answers: the entry is one, the next byte is not, and both are named")
    func concurrentFirstQuestions() throws {
        let table = UnsafeMutablePointer<hp_image_table>.allocate(capacity: 1)
        table.initialize(to: hp_image_table())
        defer {
            hp_image_table_free(table)
            table.deallocate()
        }
        try #require(hp_image_table_load(table) == HP_OK)
        let entry = unsafeBitCast(Self.function, to: UInt.self)
        // Threads share the table by address, as the reader's threads share `_ImageTable`'s.
        let shared = UInt(bitPattern: table)
        let answers = Mutex<[Answer]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let table = UnsafePointer<hp_image_table>(bitPattern: shared)!
            var buffer = [CChar](repeating: 0, count: 1024)
            let named = hp_symbol_name(table, entry + 1, &buffer, buffer.count)
            let answer = Answer(entry: hp_symbol_starts_function(table, entry),
                                insideIsEntry: hp_symbol_starts_function(table, entry + 1),
                                name: named ? Self.name(buffer) : "")
            answers.withLock { $0.append(answer) }
        }
        let all = answers.withLock { $0 }
        #expect(all.count == 8)
        let first = try #require(all.first)
        #expect(first.entry)
        #expect(!first.insideIsEntry)
        #expect(!first.name.isEmpty)
        #expect(all.allSatisfy { $0 == first })
        #expect(hp_code_entry(table, entry))
    }

    @Test("a name cut to fit its buffer ends in NUL; no buffer, no name")
    func truncatedName() throws {
        let table = UnsafeMutablePointer<hp_image_table>.allocate(capacity: 1)
        table.initialize(to: hp_image_table())
        defer {
            hp_image_table_free(table)
            table.deallocate()
        }
        try #require(hp_image_table_load(table) == HP_OK)
        let entry = unsafeBitCast(Self.function, to: UInt.self)
        var short = [CChar](repeating: 1, count: 4)
        #expect(hp_symbol_name(table, entry, &short, short.count))
        #expect(short[3] == 0 && Self.name(short).count == 3)
        var none = [CChar](repeating: 1, count: 1)
        #expect(!hp_symbol_name(table, entry, &none, 0))
        #expect(!hp_symbol_name(table, 0, &none, none.count), "an address in no image")
    }
}
