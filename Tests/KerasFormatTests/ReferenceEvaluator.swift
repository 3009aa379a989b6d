import Foundation
import GraphIR
import TensorCore

/// A deliberately naive float32 interpreter for the ops the Keras importer
/// emits, written only to check imported graphs against Keras' own outputs
/// (Models/keras-layers/io). Slow and simple on purpose; not the runtime.
struct ReferenceEvaluator {
    struct Value { var shape: [Int]; var data: [Float] }

    static func run(_ graph: Graph, input: Value) throws -> Value {
        var env: [String: Value] = [graph.inputs[0].name: input]
        for (name, p) in graph.parameters { env[name] = Value(shape: p.tensor.shape, data: p.tensor.scalars) }
        for node in graph.nodes {
            let xs = node.inputs.map { $0.isEmpty ? nil : env[$0] }
            env[node.outputs[0]] = try evaluate(node.op, xs, node: node.name)
        }
        return env[graph.outputs[0]]!
    }

    struct Unsupported: Error { var op: String }

    static func evaluate(_ op: Op, _ xs: [Value?], node: String) throws -> Value {
        let x = xs[0]!
        func map(_ f: (Float) -> Float) -> Value { Value(shape: x.shape, data: x.data.map(f)) }
        switch op {
        case .relu: return map { max($0, 0) }
        case let .clip(lo, hi): return map { min(max($0, lo), hi) }
        case .sigmoid: return map { 1 / (1 + exp(-$0)) }
        case let .hardSigmoid(a, b): return map { max(0, min(1, a * $0 + b)) }
        case .hardSwish: return map { $0 * max(0, min(1, $0 / 6 + 0.5)) }
        case .swish: return map { $0 / (1 + exp(-$0)) }
        case .identity, .dropout: return x
        case .add: return broadcast(x, xs[1]!, +)
        case .mul: return broadcast(x, xs[1]!, *)
        case let .softmax(axis):
            precondition(axis == x.shape.count - 1 || x.shape.count == 2, "softmax over the last axis only")
            let n = x.shape.last!
            var out = x.data
            for row in 0..<(x.data.count / n) {
                let slice = out[(row * n)..<((row + 1) * n)]
                let m = slice.max()!
                let e = slice.map { exp($0 - m) }
                let s = e.reduce(0, +)
                for i in 0..<n { out[row * n + i] = e[i] / s }
            }
            return Value(shape: x.shape, data: out)
        case let .transpose(perm):
            let t = WeightTranspose.permute(Tensor(shape: x.shape, scalars: x.data), perm)
            return Value(shape: t.shape, data: t.scalars)
        case let .flatten(axis):
            return Value(shape: [x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)], data: x.data)
        case .reshape:
            var target = xs[1]!.data.map { Int($0) }
            for i in target.indices where target[i] == 0 { target[i] = x.shape[i] }
            return Value(shape: target, data: x.data)
        case let .concat(axis):
            let parts = xs.map { $0! }
            let outer = x.shape[..<axis].reduce(1, *)
            var data: [Float] = []
            for o in 0..<outer {
                for p in parts {
                    let inner = p.shape[axis...].reduce(1, *)
                    data += p.data[(o * inner)..<((o + 1) * inner)]
                }
            }
            var shape = x.shape
            shape[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
            return Value(shape: shape, data: data)
        case let .pad(_, value):
            let p = xs[1]!.data.map { Int($0) }
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let (oh, ow) = (h + p[2] + p[6], w + p[3] + p[7])
            var out = [Float](repeating: value, count: n * c * oh * ow)
            for b in 0..<(n * c) { for i in 0..<h { for j in 0..<w {
                out[(b * oh + i + p[2]) * ow + j + p[3]] = x.data[(b * h + i) * w + j]
            } } }
            return Value(shape: [n, c, oh, ow], data: out)
        case let .batchNorm(eps):
            let (g, b, m, v) = (xs[1]!.data, xs[2]!.data, xs[3]!.data, xs[4]!.data)
            let c = x.shape[1], inner = x.shape[2...].reduce(1, *)
            var out = x.data
            for i in out.indices {
                let ch = (i / inner) % c
                out[i] = (out[i] - m[ch]) / (v[ch] + eps).squareRoot() * g[ch] + b[ch]
            }
            return Value(shape: x.shape, data: out)
        case let .gemm(a):
            precondition(a.transB && !a.transA)
            let w = xs[1]!, bias = xs[2]
            let (rows, k, units) = (x.shape[0], x.shape[1], w.shape[0])
            var out = [Float](repeating: 0, count: rows * units)
            for r in 0..<rows { for u in 0..<units {
                var s: Float = bias?.data[u] ?? 0
                for i in 0..<k { s += x.data[r * k + i] * w.data[u * k + i] }
                out[r * units + u] = s
            } }
            return Value(shape: [rows, units], data: out)
        case .globalAveragePool:
            let (n, c) = (x.shape[0], x.shape[1]), hw = x.shape[2] * x.shape[3]
            let data = (0..<(n * c)).map { b in x.data[(b * hw)..<((b + 1) * hw)].reduce(0, +) / Float(hw) }
            return Value(shape: [n, c, 1, 1], data: data)
        case let .averagePool(a), let .maxPool(a):
            let isMax: Bool
            if case .maxPool = op { isMax = true } else { isMax = false }
            return pool(x, a, isMax: isMax)
        case let .conv2d(a):
            return conv(x, xs[1]!, xs[2], a)
        default:
            throw Unsupported(op: op.name)
        }
    }

    static func broadcast(_ a: Value, _ b: Value, _ f: (Float, Float) -> Float) -> Value {
        let rank = max(a.shape.count, b.shape.count)
        let sa = Array(repeating: 1, count: rank - a.shape.count) + a.shape
        let sb = Array(repeating: 1, count: rank - b.shape.count) + b.shape
        let shape = zip(sa, sb).map { max($0, $1) }
        func strides(_ s: [Int]) -> [Int] {
            var st = [Int](repeating: 0, count: rank), acc = 1
            for k in stride(from: rank - 1, through: 0, by: -1) { st[k] = s[k] == 1 ? 0 : acc; acc *= s[k] }
            return st
        }
        let (ta, tb) = (strides(sa), strides(sb))
        let count = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<count {
            var ia = 0, ib = 0
            for k in 0..<rank { ia += index[k] * ta[k]; ib += index[k] * tb[k] }
            out[o] = f(a.data[ia], b.data[ib])
            var k = rank - 1
            while k >= 0 { index[k] += 1; if index[k] < shape[k] { break }; index[k] = 0; k -= 1 }
        }
        return Value(shape: shape, data: out)
    }

    static func conv(_ x: Value, _ w: Value, _ bias: Value?, _ a: Conv2DAttributes) -> Value {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let p = a.pads
        let oh = Padding.outputSize(input: h, kernel: kh, stride: a.strides[0], dilation: a.dilations[0], padBegin: p[0], padEnd: p[2])
        let ow = Padding.outputSize(input: wd, kernel: kw, stride: a.strides[1], dilation: a.dilations[1], padBegin: p[1], padEnd: p[3])
        let outPerGroup = o / a.group
        var out = [Float](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
            var s: Float = bias?.data[oc] ?? 0
            let g = oc / outPerGroup
            for ic in 0..<cg { for u in 0..<kh { for v in 0..<kw {
                let y = i * a.strides[0] - p[0] + u * a.dilations[0]
                let xx = j * a.strides[1] - p[1] + v * a.dilations[1]
                guard y >= 0, y < h, xx >= 0, xx < wd else { continue }
                s += x.data[((b * c + g * cg + ic) * h + y) * wd + xx] * w.data[((oc * cg + ic) * kh + u) * kw + v]
            } } }
            out[((b * o + oc) * oh + i) * ow + j] = s
        } } } }
        return Value(shape: [n, o, oh, ow], data: out)
    }

    static func pool(_ x: Value, _ a: PoolAttributes, isMax: Bool) -> Value {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let p = a.pads
        let oh = Padding.outputSize(input: h, kernel: a.kernel[0], stride: a.strides[0], dilation: 1, padBegin: p[0], padEnd: p[2])
        let ow = Padding.outputSize(input: w, kernel: a.kernel[1], stride: a.strides[1], dilation: 1, padBegin: p[1], padEnd: p[3])
        var out = [Float](repeating: 0, count: n * c * oh * ow)
        for b in 0..<(n * c) { for i in 0..<oh { for j in 0..<ow {
            var acc: Float = isMax ? -.infinity : 0
            var count = 0
            for u in 0..<a.kernel[0] { for v in 0..<a.kernel[1] {
                let y = i * a.strides[0] - p[0] + u, xx = j * a.strides[1] - p[1] + v
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let value = x.data[(b * h + y) * w + xx]
                acc = isMax ? max(acc, value) : acc + value
                count += 1
            } }
            out[(b * oh + i) * ow + j] = isMax ? acc : acc / Float(count)
        } } }
        return Value(shape: [n, c, oh, ow], data: out)
    }
}

/// Transposes for the evaluator (NumPy `transpose` semantics).
enum WeightTranspose {
    static func permute(_ x: Tensor, _ perm: [Int]) -> Tensor {
        let rank = x.rank
        var inStrides = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) { inStrides[k] = inStrides[k + 1] * x.shape[k + 1] }
        let shape = perm.map { x.shape[$0] }
        let source = x.scalars
        var out = [Float](repeating: 0, count: source.count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<out.count {
            var offset = 0
            for k in 0..<rank { offset += index[k] * inStrides[perm[k]] }
            out[o] = source[offset]
            var k = rank - 1
            while k >= 0 { index[k] += 1; if index[k] < shape[k] { break }; index[k] = 0; k -= 1 }
        }
        return Tensor(shape: shape, scalars: out)
    }
}

/// Reads a little-endian float32 `.npy` file (version 1 or 2 header).
func readNPY(_ url: URL) throws -> ReferenceEvaluator.Value {
    let data = try Data(contentsOf: url)
    let bytes = [UInt8](data)
    let major = bytes[6]
    let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
        : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
    let start = major == 1 ? 10 : 12
    let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
    precondition(header.contains("'<f4'") && header.contains("'fortran_order': False"), "unsupported npy: \(header)")
    let shapeText = header.split(separator: "(")[1].split(separator: ")")[0]
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let payload = data.subdata(in: (start + headerLength)..<data.count)
    let floats = payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return .init(shape: shape, data: floats)
}
