import Testing
@testable import Generation

@Suite struct JSONTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKind() throws {
        let value = try parse(#" {"a": [1, -2.5, 3e2, true, false, null], "b": "x\u00e9\ud83d\ude00\n\"", "c": {}} "#)
        #expect(value["a"] == [1, -2.5, 300.0, true, false, nil])
        #expect(value["b"] == "xé😀\n\"")
        #expect(value["c"] == .object([:]))
        #expect(try parse("\u{FEFF}[]") == [])
        #expect(try parse("81.0").integerValue == 81)
        #expect(try parse("81.5").integerValue == nil)
        #expect(try parse("12345678901234567890") == .double(12345678901234567890))
    }

    @Test func duplicateKeysKeepTheLast() throws {
        #expect(try parse(#"{"a": 1, "a": 2}"#)["a"] == 2)
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "trailing comma"), ("[1,]", "trailing comma"), ("{'a': 1}", "expected a string key"),
        ("[01]", "leading zero"), ("[NaN]", "expected a value"), ("[1e999]", "out of range"), ("\"a\u{01}\"", "control character"),
        ("\"\\x\"", "invalid escape"), ("\"\\ud800\"", "unpaired surrogate"), ("[1] 2", "after the JSON value"),
        ("// c\n{}", "expected a value"), ("[tru]", "invalid literal"), ("\"abc", "unterminated"), ("", "empty"),
        ("{\"a\" 1}", "expected ':'"), ("[1 2]", "expected ',' or ']'"), ("[1.]", "decimal point"),
    ])
    func refusesMalformedDocuments(text: String, message: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try parse(deep) }
    }

    @Test func reportsLineAndColumn() {
        do {
            _ = try parse("{\n  \"a\": tx\n}")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 2 && error.column == 8)
            #expect(error.description.hasSuffix("at line 2, column 8"))
        }
    }

    @Test func writerSortsKeysAndEscapes() throws {
        let value: JSONValue = ["b": [1, 0.8, 1.0], "a": "q\"\\/\n\u{01}é", "c": [:], "d": [], "e": nil]
        let compact = String(decoding: JSONWriter.encode(value, pretty: false), as: UTF8.self)
        #expect(compact == #"{"a":"q\"\\/\n\u0001é","b":[1,0.8,1.0],"c":{},"d":[],"e":null}"#)
        let pretty = String(decoding: JSONWriter.encode(["k": [1]], pretty: true), as: UTF8.self)
        #expect(pretty == "{\n  \"k\": [\n    1\n  ]\n}\n")
        #expect(try JSONParser.parse(JSONWriter.encode(value, pretty: true)) == value)
    }
}
