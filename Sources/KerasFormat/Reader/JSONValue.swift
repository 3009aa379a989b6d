import Foundation

/// A decoded JSON value; Keras configs are kept in this form until an
/// importer reads the keys it understands.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Parses `data`; throws `.badConfig` naming `source` when it is not JSON.
    static func parse(_ data: Data, source: String) throws(KerasImportError) -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw .badConfig(source: source, reason: "not valid JSON (\(error.localizedDescription))")
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
