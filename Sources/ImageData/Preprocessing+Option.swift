import Foundation
import GraphIR

extension Preprocessing {
    /// Parses a `--preprocess` option: comma-separated `key=value` pairs, optionally starting
    /// with a preset name whose fields the pairs then override.
    ///
    ///     efficientnet-lite
    ///     keras-mobilenet-v2,size=160
    ///     size=224,mean=127,std=128,order=rgb
    ///     size=224,mean=123.675/116.28/103.53,std=58.395/57.12/57.375,resize=shorter:256
    ///
    /// Keys: `size` (`N` or `HxW`), `mean` and `std` (one value or three joined by `/`, in the
    /// model's channel order), `order` (`rgb`/`bgr`), `layout` (`nchw`/`nhwc`), `resize`
    /// (`stretch`, `shorter:N`, or `HxW` = stretch to H×W then centre-crop), `antialias`
    /// (`yes`/`no`), `preset`. Without a preset, `mean` defaults to 0 and `std` to 1.
    public init(option: String) throws(PreprocessingError) {
        let tokens = option.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var result: Preprocessing?
        var seen: Set<String> = []
        for (index, token) in tokens.enumerated() {
            let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts.count == 2 ? parts[0].lowercased() : "preset"
            let value = parts.count == 2 ? parts[1] : parts[0]
            guard seen.insert(key).inserted else { throw .duplicateKey(key: key, option: option) }
            if key == "preset" {
                guard index == 0 else {
                    throw .badValue(key: "preset", value: value, expected: "the preset first, before other keys")
                }
                guard let preset = PreprocessingPreset(rawValue: value.lowercased()) else {
                    throw .unknownPreset(name: value, known: PreprocessingPreset.allCases.map(\.rawValue))
                }
                result = preset.preprocessing
                continue
            }
            var p = result ?? Preprocessing(size: [], mean: [0, 0, 0], std: [1, 1, 1])
            switch key {
            case "size": p.size = try parseSize(value, key: key)
            case "mean": p.mean = try parseTriple(value, key: key)
            case "std": p.std = try parseTriple(value, key: key)
            case "order":
                guard let order = ChannelOrder(rawValue: value.lowercased()) else {
                    throw .badValue(key: key, value: value, expected: "rgb or bgr")
                }
                p.channelOrder = order
            case "layout":
                guard let layout = Layout(rawValue: value.lowercased()) else {
                    throw .badValue(key: key, value: value, expected: "nchw or nhwc")
                }
                p.layout = layout
            case "resize": p.resize = try parseResize(value)
            case "antialias":
                switch value.lowercased() {
                case "yes", "true", "on", "1": p.antialias = true
                case "no", "false", "off", "0": p.antialias = false
                default: throw .badValue(key: key, value: value, expected: "yes or no")
                }
            default: throw .unknownKey(key: key, option: option)
            }
            result = p
        }
        guard let parsed = result, !parsed.size.isEmpty else { throw .missingSize(option: option) }
        try parsed.validate()
        self = parsed
    }

    /// Throws unless the recipe can be applied: a positive `[height, width]`, one or three
    /// means and stds with no zero std, and a resize that leaves room for the crop.
    public func validate() throws(PreprocessingError) {
        guard size.count == 2, size.allSatisfy({ $0 > 0 }) else {
            throw .invalid(field: "size", problem: "must be [height, width] with positive values, got \(size)")
        }
        guard mean.count == 1 || mean.count == 3, mean.allSatisfy(\.isFinite) else {
            throw .invalid(field: "mean", problem: "must have 1 or 3 finite values, got \(mean)")
        }
        guard std.count == 1 || std.count == 3, std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw .invalid(field: "std", problem: "must have 1 or 3 finite non-zero values, got \(std)")
        }
        switch resize {
        case .stretch: break
        case .stretchThenCrop(let height, let width):
            guard height >= size[0], width >= size[1] else {
                throw .invalid(field: "resize", problem: "\(height)x\(width) is smaller than the crop \(size[0])x\(size[1])")
            }
        case .shorterSideThenCrop(let side):
            guard side >= max(size[0], size[1]) else {
                throw .invalid(field: "resize", problem: "shorter side \(side) is smaller than the crop \(size[0])x\(size[1])")
            }
        }
    }
}

private func parseSize(_ value: String, key: String) throws(PreprocessingError) -> [Int] {
    let parts = value.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard (parts.count == 1 || parts.count == 2), parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw .badValue(key: key, value: value, expected: "a positive N or HxW, e.g. 224 or 256x192")
    }
    let numbers = parts.map { $0! }
    return numbers.count == 1 ? [numbers[0], numbers[0]] : numbers
}

private func parseTriple(_ value: String, key: String) throws(PreprocessingError) -> [Float] {
    let numbers = value.split(separator: "/", omittingEmptySubsequences: false).map { Float($0) }
    guard numbers.count == 1 || numbers.count == 3, numbers.allSatisfy({ $0?.isFinite == true }) else {
        throw .badValue(key: key, value: value, expected: "one number or three joined by '/', e.g. 127 or 104/117/123")
    }
    let values = numbers.map { $0! }
    return values.count == 1 ? [values[0], values[0], values[0]] : values
}

private func parseResize(_ value: String) throws(PreprocessingError) -> Preprocessing.Resize {
    let lower = value.lowercased()
    if lower == "stretch" { return .stretch }
    if lower.hasPrefix("shorter:"), let side = Int(lower.dropFirst("shorter:".count)), side > 0 {
        return .shorterSideThenCrop(shorterSide: side)
    }
    if let size = try? parseSize(lower, key: "resize"), lower.contains("x") {
        return .stretchThenCrop(height: size[0], width: size[1])
    }
    throw .badValue(key: "resize", value: value, expected: "stretch, shorter:N or HxW")
}
