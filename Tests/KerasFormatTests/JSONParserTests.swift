import Testing
@testable import KerasFormat

private func parse(_ text: String) throws -> JSONValue {
    try JSONParser.parse(Array(text.utf8))
}

@Test func parsesTheValuesKerasConfigsUse() throws {
    let v = try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\u00e9\ud83d\ude00"}, "n": NaN} "#)
    #expect(v["a"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null]))
    #expect(v["b"]?["c"]?.string == "x\"yé😀")
    #expect(v["n"]?.number?.isNaN == true)
}

@Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "\"open", "tru", "1 2", "{\"a\":1,}", "[01x]"])
func refusesMalformedJSON(_ text: String) {
    #expect(throws: JSONParser.Failure.self) { try parse(text) }
}

@Test func refusesNestingBeyondTheLimit() {
    let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
    #expect(throws: JSONParser.Failure.self) { try parse(deep) }
    let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
    #expect(throws: Never.self) { try parse(fine) }
}
