import GraphIR
import TensorCore

/// One ONNX node as the writer emits it.
struct ExportNode {
    enum Attribute {
        case int(Int), float(Float), ints([Int]), string(String), tensor(Tensor)
    }

    var name: String
    var opType: String
    var inputs: [String]
    var outputs: [String]
    var attributes: [(String, Attribute)] = []
}

/// Translates IR nodes into ONNX nodes for opset 13 and later. Values the IR
/// keeps as attributes but ONNX wants as inputs (Clip bounds, Pad value, Squeeze
/// axes) become initializers named after the node.
struct ONNXNodeExport {
    /// Initializers created while translating.
    private(set) var extraInitializers: [(String, Tensor)] = []

    /// The smallest opset that has every op the graph uses in the form we write.
    static func requiredOpset(for graph: Graph) -> Int {
        var opset = 13
        for node in graph.nodes {
            switch node.op {
            case .hardSwish: opset = max(opset, 14)
            case .shape(let start, let end) where start != 0 || end != nil: opset = max(opset, 15)
            default: break
            }
        }
        return opset
    }

    private mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        extraInitializers.append((name, tensor))
        return name
    }

    mutating func export(_ node: Node) -> [ExportNode] {
        func one(_ opType: String, _ attributes: [(String, ExportNode.Attribute)] = [], inputs: [String]? = nil) -> [ExportNode] {
            [ExportNode(name: node.name, opType: opType, inputs: inputs ?? node.inputs, outputs: node.outputs, attributes: attributes)]
        }
        let x = node.inputs.first ?? ""
        switch node.op {
        case .conv2d(let a):
            return one("Conv", [("kernel_shape", .ints(a.kernel)), ("strides", .ints(a.strides)),
                                ("dilations", .ints(a.dilations)), ("group", .int(a.group))] + padAttributes(a.autoPad, a.pads))
        case .batchNorm(let epsilon):
            return one("BatchNormalization", [("epsilon", .float(epsilon))])
        case .relu: return one("Relu")
        case .clip(let lo, let hi):
            let minName = lo.isFinite ? constant("\(node.name)/min", Tensor(shape: [], scalars: [lo])) : ""
            let maxName = hi.isFinite ? constant("\(node.name)/max", Tensor(shape: [], scalars: [hi])) : ""
            var inputs = [x, minName, maxName]
            while inputs.last == "" { inputs.removeLast() }
            return one("Clip", inputs: inputs)
        case .sigmoid: return one("Sigmoid")
        case .hardSigmoid(let alpha, let beta): return one("HardSigmoid", [("alpha", .float(alpha)), ("beta", .float(beta))])
        case .hardSwish: return one("HardSwish")
        case .swish:
            let s = "\(node.name)/sigmoid"
            return [ExportNode(name: s, opType: "Sigmoid", inputs: [x], outputs: [s]),
                    ExportNode(name: node.name, opType: "Mul", inputs: [x, s], outputs: node.outputs)]
        case .add: return one("Add")
        case .sub: return one("Sub")
        case .mul: return one("Mul")
        case .div: return one("Div")
        case .matMul: return one("MatMul")
        case .gemm(let g):
            return one("Gemm", [("alpha", .float(g.alpha)), ("beta", .float(g.beta)),
                                ("transA", .int(g.transA ? 1 : 0)), ("transB", .int(g.transB ? 1 : 0))])
        case .globalAveragePool: return one("GlobalAveragePool")
        case .averagePool(let p):
            return one("AveragePool", [("kernel_shape", .ints(p.kernel)), ("strides", .ints(p.strides)),
                                       ("ceil_mode", .int(p.ceilMode ? 1 : 0)),
                                       ("count_include_pad", .int(p.countIncludePad ? 1 : 0))] + padAttributes(p.autoPad, p.pads))
        case .maxPool(let p):
            return one("MaxPool", [("kernel_shape", .ints(p.kernel)), ("strides", .ints(p.strides)),
                                   ("ceil_mode", .int(p.ceilMode ? 1 : 0))] + padAttributes(p.autoPad, p.pads))
        case .reduceMean(let axes, let keepDims):
            return one("ReduceMean", (axes.isEmpty ? [] : [("axes", .ints(axes))]) + [("keepdims", .int(keepDims ? 1 : 0))])
        case .flatten(let axis): return one("Flatten", [("axis", .int(axis))])
        case .reshape: return one("Reshape")
        case .transpose(let perm): return one("Transpose", perm.isEmpty ? [] : [("perm", .ints(perm))])
        case .concat(let axis): return one("Concat", [("axis", .int(axis))])
        case .pad(let mode, let value):
            var inputs = Array(node.inputs.prefix(2))
            if mode == .constant && value != 0 {
                inputs.append(constant("\(node.name)/value", Tensor(shape: [], scalars: [value])))
            }
            return one("Pad", [("mode", .string(mode.rawValue))], inputs: inputs)
        case .softmax(let axis): return one("Softmax", [("axis", .int(axis))])
        case .dropout(let ratio):
            return one("Dropout", inputs: [x, constant("\(node.name)/ratio", Tensor(shape: [], scalars: [ratio]))])
        case .identity: return one("Identity")
        case .cast(let to): return one("Cast", [("to", .int(Int(ONNXDataType.code(to))))])
        case .shape(let start, let end):
            return one("Shape", (start != 0 ? [("start", .int(start))] : []) + (end.map { [("end", .int($0))] } ?? []))
        case .gather(let axis): return one("Gather", [("axis", .int(axis))])
        case .slice: return one("Slice")
        case .squeeze(let axes):
            let inputs = axes.isEmpty ? [x] : [x, constant("\(node.name)/axes", Tensor(shape: [axes.count], int64s: axes.map(Int64.init)))]
            return one("Squeeze", inputs: inputs)
        case .unsqueeze(let axes):
            return one("Unsqueeze", inputs: [x, constant("\(node.name)/axes", Tensor(shape: [axes.count], int64s: axes.map(Int64.init)))])
        case .constantOfShape(let value, let dtype):
            let fill = dtype.isFloatingPoint ? Tensor(shape: [1], scalars: [value]) : Tensor(shape: [1], int64s: [Int64(value)])
            return one("ConstantOfShape", [("value", .tensor(fill))])
        }
    }

    private func padAttributes(_ autoPad: AutoPad, _ pads: [Int]) -> [(String, ExportNode.Attribute)] {
        switch autoPad {
        // IR pads are [top, left, bottom, right]: ONNX's [x1_begin, x2_begin, x1_end, x2_end].
        case .explicit: [("pads", .ints(pads))]
        case .sameUpper: [("auto_pad", .string("SAME_UPPER"))]
        case .sameLower: [("auto_pad", .string("SAME_LOWER"))]
        case .valid: [("auto_pad", .string("VALID"))]
        }
    }
}
