import GraphIR

/// Folds an explicit `pad` node into the convolution or pool that reads it,
/// adding its spatial pads to the window op's `pads`.
///
/// Preconditions, all of which must hold:
/// * the pads are constant and non-negative on a 4-D value, with nothing on
///   the batch and channel axes;
/// * its output is read only by this node and is not a graph output;
/// * the reader uses explicit or valid padding (no "same", whose pads depend on the input size);
/// * `conv2d`: constant mode with value 0;
/// * `averagePool`: constant mode with value 0, `ceilMode` is off, and either the pool
///   already counts pads in its divisor or has no pads of its own (the result
///   counts pads, as the padded input's zeros were counted before);
/// * `maxPool`: `ceilMode` is off, each pad is smaller than the kernel (every window keeps a real
///   element) and either edge mode (a window that reaches a copied border
///   element also holds the original, so the max is unchanged — open_nsfw's
///   stem), or constant mode with -∞, or with 0 on an input that cannot be
///   negative (relu, relu6/clip with `min ≥ 0`, sigmoid, hard sigmoid).
public struct FoldPadIntoWindow: GraphRule {
    public let name = "fold-pad-into-window"

    public init() {}

    public func matches(_ node: Int, in graph: Graph) -> Bool {
        guard let padIndex = graph.producer(ofInput: 0, of: node),
              case let .pad(mode, value) = graph.nodes[padIndex].op, mode != .reflect,
              graph.nodes[padIndex].inputs.count == 2,
              let pads = graph.intConstant(graph.nodes[padIndex].inputs[1]), pads.count == 8,
              pads.allSatisfy({ $0 >= 0 }), pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0,
              graph.isOnlyUsed(graph.nodes[node].inputs[0], by: node) else { return false }
        let spatial = [pads[2], pads[3], pads[6], pads[7]]
        switch graph.nodes[node].op {
        case .conv2d(let a):
            return mode == .constant && value == 0 && (a.autoPad == .explicit || a.autoPad == .valid)
        case .averagePool(let p):
            guard mode == .constant, value == 0, !p.ceilMode, p.autoPad == .explicit || p.autoPad == .valid else { return false }
            return p.countIncludePad || p.autoPad == .valid || p.pads.allSatisfy { $0 == 0 }
        case .maxPool(let p):
            guard p.autoPad == .explicit || p.autoPad == .valid, !p.ceilMode,
                  spatial[0] < p.kernel[0], spatial[2] < p.kernel[0], spatial[1] < p.kernel[1], spatial[3] < p.kernel[1]
            else { return false }
            if mode == .edge || value == -.infinity { return true }
            return value == 0 && isNonNegative(graph.nodes[padIndex].inputs[0], in: graph)
        default:
            return false
        }
    }

    public func apply(_ node: Int, in graph: inout Graph) throws {
        let padIndex = graph.producer(ofInput: 0, of: node)!
        let pads = graph.intConstant(graph.nodes[padIndex].inputs[1])!
        let spatial = [pads[2], pads[3], pads[6], pads[7]]
        func combined(_ own: [Int], _ autoPad: AutoPad) -> [Int] {
            let base = autoPad == .valid ? [0, 0, 0, 0] : own
            return zip(base, spatial).map { $0 + $1 }
        }
        switch graph.nodes[node].op {
        case .conv2d(var a):
            a.pads = combined(a.pads, a.autoPad)
            a.autoPad = .explicit
            graph.nodes[node].op = .conv2d(a)
        case .averagePool(var p):
            p.pads = combined(p.pads, p.autoPad)
            p.autoPad = .explicit
            p.countIncludePad = true
            graph.nodes[node].op = .averagePool(p)
        case .maxPool(var p):
            p.pads = combined(p.pads, p.autoPad)
            p.autoPad = .explicit
            graph.nodes[node].op = .maxPool(p)
        default:
            return
        }
        graph.nodes[node].inputs[0] = graph.nodes[padIndex].inputs[0]
    }

    private func isNonNegative(_ value: String, in graph: Graph) -> Bool {
        guard let producer = graph.producer(of: value) else { return false }
        switch graph.nodes[producer].op {
        case .relu, .sigmoid, .hardSigmoid: return true
        case .clip(let lo, _): return lo >= 0
        default: return false
        }
    }
}
