import Testing

@Suite("Scalars")
struct ScalarTests {
    @Test(arguments: [0, 1, -1, 42, Int.max, Int.min])
    func roundTripInt(_ value: Int) throws {
        #expect(try roundTrip(value) == value)
    }

    @Test(arguments: [UInt8.min, 1, 0x7F, 0x80, UInt8.max])
    func roundTripUInt8(_ value: UInt8) throws {
        #expect(try roundTrip(value) == value)
    }

    @Test(arguments: [Int32.min, -1, 0, 1, 0x1234_5678, Int32.max])
    func roundTripInt32(_ value: Int32) throws {
        #expect(try roundTrip(value) == value)
    }

    // Bit patterns, not ==, so that -0.0 vs 0.0 and NaN payloads are actually checked.
    @Test(arguments: [0.0, -0.0, 1.5, -.pi, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude])
    func roundTripDouble(_ value: Double) throws {
        #expect(try roundTrip(value).bitPattern == value.bitPattern)
    }

    @Test(arguments: [Float(0), -0.0, 3.25, -.pi, .infinity, .nan, .leastNonzeroMagnitude])
    func roundTripFloat(_ value: Float) throws {
        #expect(try roundTrip(value).bitPattern == value.bitPattern)
    }

    @Test(arguments: [true, false])
    func roundTripBool(_ value: Bool) throws {
        #expect(try roundTrip(value) == value)
    }
}
