/// Why a preprocessing recipe (from a `--preprocess` option or a model's metadata) is unusable.
public enum PreprocessingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownPreset(name: String, known: [String])
    case unknownKey(key: String, option: String)
    case badValue(key: String, value: String, expected: String)
    case duplicateKey(key: String, option: String)
    case missingSize(option: String)
    /// A field of a `Preprocessing` value is out of range.
    case invalid(field: String, problem: String)

    public var description: String {
        switch self {
        case .unknownPreset(let name, let known):
            return "unknown preprocessing preset '\(name)'; use one of \(known.joined(separator: ", "))"
        case .unknownKey(let key, let option):
            return "unknown key '\(key)' in preprocessing option '\(option)'; keys are size, mean, std, order, resize, antialias, preset"
        case .badValue(let key, let value, let expected):
            return "bad value '\(value)' for '\(key)' in preprocessing option; expected \(expected)"
        case .duplicateKey(let key, let option):
            return "key '\(key)' appears twice in preprocessing option '\(option)'; give it once"
        case .missingSize(let option):
            return "preprocessing option '\(option)' has no size; add size=224 (or size=HxW) or start with a preset name"
        case .invalid(let field, let problem):
            return "invalid preprocessing: \(field) \(problem)"
        }
    }
}
