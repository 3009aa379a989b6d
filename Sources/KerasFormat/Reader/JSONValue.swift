import Foundation

/// A decoded JSON value; Keras configs are kept in this form until an
/// importer reads the keys it understands.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data`; throws `.badConfig` naming `source` when it is not JSON.
    static func parse(_ data: Data, source: String) throws(KerasImportError) -> JSONValue {
        do { return try JSONParser.parse([UInt8](data)) } catch {
            throw .badConfig(source: source, reason: "not valid JSON (\(error))")
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case let .string(s) = self { s } else { nil } }
    public var array: [JSONValue]? { if case let .array(a) = self { a } else { nil } }
    public var object: [String: JSONValue]? { if case let .object(o) = self { o } else { nil } }
    public var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    public var number: Double? { if case let .number(n) = self { n } else { nil } }
    public var isNull: Bool { self == .null }

    /// An integer-valued number.
    public var int: Int? {
        guard let n = number, n.rounded() == n, abs(n) < 1e15 else { return nil }
        return Int(n)
    }
}
