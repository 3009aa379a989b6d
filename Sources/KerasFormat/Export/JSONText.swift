import Foundation

extension JSONValue {
    /// Compact JSON text with object keys sorted, so equal values give equal bytes.
    /// Integral numbers print without a fraction; others in Swift's shortest
    /// round-trip form. Non-finite numbers (not JSON) print as `null`.
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// A float that prints as its own shortest decimal (`0.001`, not the
    /// float's exact binary value), so Keras and our importer read back the same `Float`.
    static func float(_ value: Float) -> JSONValue {
        .number(Double("\(value)") ?? Double(value))
    }

    static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .number(Double($0)) }) }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if !n.isFinite { out += "null" }
            else if n.rounded() == n, abs(n) < 1e15 { out += String(Int(n)) }
            else { out += "\(n)" }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.write(into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out += ", " }
                Self.writeString(key, into: &out)
                out += ": "
                fields[key]!.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        out += "\""
    }
}
