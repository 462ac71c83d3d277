import JSON
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String, _ options: JSONParser.Options = .strict) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), options: options)
    }

    func failure(_ text: String, _ options: JSONParser.Options = .strict) -> JSONParseError? {
        do {
            _ = try parse(text, options)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKind() throws {
        let value = try parse(#" {"a": [1, -2.5, 3e2, true, false, null], "b": "x\u00e9\ud83d\ude00\n\"", "c": {}} "#)
        #expect(value["a"] == [1, -2.5, 300.0, true, false, nil])
        #expect(value["b"] == "xé😀\n\"")
        #expect(value["c"] == .object([:]))
        #expect(try parse("81.0").integerValue == 81)
        #expect(try parse("8.1e1").integerValue == 81)
        #expect(try parse("81.5").integerValue == nil)
        #expect(try parse("12345678901234567890").numberValue == 1.2345678901234567e19)
    }

    @Test func integersAndNumbersStayDistinct() throws {
        let integer = try parse("81")
        let number = try parse("81.0")
        #expect(integer.isInteger && integer.typeName == "integer" && integer.intValue == 81)
        #expect(!number.isInteger && number.typeName == "number" && number.intValue == nil)
        #expect(integer != number)
        #expect(integer == .int(81) && number == .double(81))
        #expect(try parse("1e2").typeName == "number")
        #expect(try parse("-0").isInteger)
    }

    @Test func integersAreExactUpToUInt64Max() throws {
        let max = try parse("18446744073709551615")
        #expect(max.uint64Value == UInt64.max)
        #expect(max.intValue == nil && max.integerValue == nil)
        #expect(try parse("9223372036854775807").intValue == Int.max)
        #expect(try parse("-9223372036854775808").intValue == Int.min)
        #expect(try parse("9007199254740993").uint64Value == 9_007_199_254_740_993)  // 2^53 + 1: not a double
        #expect(try parse("18446744073709551616").uint64Value == nil)
        #expect(try parse("-1").uint64Value == nil && parse("-0").uint64Value == nil && parse("1.0").uint64Value == nil)
        #expect(String(decoding: JSONWriter.encode(max, pretty: false), as: UTF8.self) == "18446744073709551615")
    }

    @Test func keyOrderIsKept() throws {
        let value = try parse(#"{"z": 1, "a": 2, "m": {"y": 0, "b": 0}}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value["m"]?.objectValue?.keys == ["y", "b"])
        #expect(value.objectValue.map { $0.map(\.key) } == ["z", "a", "m"])
        // Equality ignores order, as JSON objects are unordered.
        #expect(value == (try parse(#"{"m": {"b": 0, "y": 0}, "a": 2, "z": 1}"#)))
        #expect(value != (try parse(#"{"z": 1, "a": 2}"#)))
    }

    @Test func repeatedKeysAreRefusedWithTheKeyItsDepthAndPosition() throws {
        let top = try #require(failure("{\"a\": 1,\n  \"a\": 2}"))
        #expect(top.repeatedKey == "a" && top.depth == 0 && top.path.isEmpty)
        #expect(top.description == #"repeated key "a" at line 2, column 3"#)
        #expect(top.offset == 11)
        let nested = try #require(failure(#"{"x": [0, {"k": 1, "k": 2}]}"#))
        #expect(nested.repeatedKey == "k" && nested.depth == 2)
        #expect(nested.path == [.key("x"), .index(1)])
        #expect(JSONPathComponent.render(nested.path + [.key("k")]) == "x[1].k")
        #expect(failure(#"{"a": {"k": 1}, "b": {"k": 2}}"#) == nil)  // the same key in two objects is fine
    }

    @Test func repeatedKeysCanKeepTheLast() throws {
        let value = try parse(#"{"a": 1, "b": 0, "a": 2}"#, .lenient)
        #expect(value["a"] == 2)
        #expect(value.objectValue?.keys == ["a", "b"])  // in its first place
        #expect(try parse(#"{"a": 1, "a": 2}"#, .init(duplicateKeys: .lastWins))["a"] == 2)
    }

    @Test func depthIsBounded() throws {
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(try parse(nested(64)) != .null)
        let deep = try #require(failure(nested(65)))
        #expect(deep.message == "nesting deeper than 64 levels" && deep.depth == 64)
        #expect(failure(nested(100)) != nil)
        #expect(failure(nested(3), .init(maxDepth: 2))?.message == "nesting deeper than 2 levels")
        #expect(failure(#"{"a": {"b": 1}}"#, .init(maxDepth: 2)) == nil)
    }

    @Test func aByteOrderMarkIsAnOption() throws {
        #expect(try parse("\u{FEFF}[]", .lenient) == [])
        #expect(try parse("\u{FEFF}[]", .init(allowsByteOrderMark: true)) == [])
        #expect(failure("\u{FEFF}[]")?.message == "unexpected byte 0xEF, expected a value")
        // The mark counts in positions, which are of the bytes as given.
        #expect(failure("\u{FEFF}[1,]", .lenient).map { ($0.offset, $0.column) } ?? (0, 0) == (6, 7))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "trailing comma"), ("[1,]", "trailing comma"), ("{'a': 1}", "expected a string key"),
        ("[01]", "leading zero"), ("[NaN]", "expected a value"), ("[1e999]", "out of range"), ("\"a\u{01}\"", "control character"),
        ("\"\\x\"", "invalid escape"), ("\"\\ud800\"", "unpaired surrogate"), ("\"\\udc00\"", "lone surrogate"),
        ("[1] 2", "after the JSON value"), ("// c\n{}", "expected a value"), ("[tru]", "invalid literal"),
        ("\"abc", "unterminated"), ("", "empty"), ("{\"a\" 1}", "expected ':'"), ("[1 2]", "expected ',' or ']'"),
        ("[1.]", "decimal point"), ("[1e]", "exponent"), ("[-]", "expected a digit"), ("\"\\u12\"", "\\u escape"),
    ])
    func refusesMalformedDocuments(text: String, message: String) {
        let error = failure(text)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func refusesInvalidUTF8InStrings() {
        #expect(failure(String(decoding: [0x22, 0x22], as: UTF8.self)) == nil)
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x5C, 0x6E, 0xC3, 0x22]) }  // after an escape
    }

    @Test func reportsLineColumnAndOffset() throws {
        let error = try #require(failure("{\n  \"a\": tx\n}"))
        #expect(error.line == 2 && error.column == 8 && error.offset == 9)
        #expect(error.description == "invalid literal, expected true, false or null at line 2, column 8")
        #expect(error.path == [.key("a")])
        #expect(failure("[1,\n\n 2,\n   x]").map { ($0.line, $0.column) } ?? (0, 0) == (4, 4))
    }

    @Test func numbersCanBeMadeFromText() {
        #expect(JSONNumber(text: "1.50")?.text == "1.50")
        #expect(JSONNumber(text: "1.50") == JSONNumber(text: "1.5"))
        #expect(JSONNumber(text: "01") == nil && JSONNumber(text: "1 2") == nil && JSONNumber(text: "x") == nil)
        #expect(JSONNumber(Double.nan) == nil && JSONValue.double(.infinity) == .null)
    }
}

@Suite struct JSONWriterTests {
    @Test func sortsKeysAndEscapes() throws {
        let value: JSONValue = ["b": [1, 0.8, 1.0], "a": "q\"\\/\n\u{01}é", "c": [:], "d": [], "e": nil]
        let compact = String(decoding: JSONWriter.encode(value, pretty: false), as: UTF8.self)
        #expect(compact == #"{"a":"q\"\\/\n\u0001é","b":[1,0.8,1.0],"c":{},"d":[],"e":null}"#)
        let pretty = String(decoding: JSONWriter.encode(["k": [1]], pretty: true), as: UTF8.self)
        #expect(pretty == "{\n  \"k\": [\n    1\n  ]\n}\n")
        #expect(try JSONParser.parse(JSONWriter.encode(value, pretty: true)) == value)
    }

    @Test func writesParsedDocumentsSortedWithNumbersAsWritten() throws {
        let value = try JSONParser.parse(Array(#"{"z": 1.50, "a": [1e2, -0, 18446744073709551615]}"#.utf8))
        #expect(String(decoding: JSONWriter.encode(value, pretty: false), as: UTF8.self)
            == #"{"a":[1e2,-0,18446744073709551615],"z":1.50}"#)
    }

    @Test func writesDoublesInShortestForm() {
        let value: JSONValue = [.double(4), .double(0.1), .double(1e-5), .double(1e20), .int(-3)]
        #expect(String(decoding: JSONWriter.encode(value, pretty: false), as: UTF8.self) == "[4.0,0.1,1e-05,1e+20,-3]")
    }

    @Test func objectsBuiltFromDictionariesAndLiteralsAgree() {
        var object = JSONObject(["b": 2, "a": 1])
        #expect(object.keys == ["a", "b"])
        object["c"] = 3
        object["a"] = nil
        #expect(object.keys == ["b", "c"] && object["c"] == 3 && object["a"] == nil && object.count == 2)
        #expect(JSONValue.object(object) == ["c": 3, "b": 2])
        #expect(JSONValue.object(["x": true]) == ["x": true])
    }

    @Test func excerptsAreCut() {
        #expect(JSONValue.string(String(repeating: "a", count: 100)).excerpt(limit: 10) == "\"aaaaaaaaa…")
        #expect(JSONValue.int(81).excerpt() == "81")
    }
}
