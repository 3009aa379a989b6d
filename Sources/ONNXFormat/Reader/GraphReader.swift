import CONNXProto
import GraphIR
import TensorCore

/// Decodes a `GraphProto`: nodes with their attributes, initializers, and value types.
struct GraphReader {
    let file: String
    let tensors: TensorDecoder

    func read(_ graph: UnsafeMutablePointer<Onnx__GraphProto>) throws -> ONNXGraph {
        let g = graph.pointee
        return ONNXGraph(
            name: swiftString(g.name),
            nodes: try elements(g.node, g.n_node).map(node),
            initializers: try elements(g.initializer, g.n_initializer).enumerated().map { index, t in
                try tensors.decode(t, fallbackName: "initializer_\(index)")
            },
            inputs: try elements(g.input, g.n_input).map(valueInfo),
            outputs: try elements(g.output, g.n_output).map(valueInfo),
            valueInfo: try elements(g.value_info, g.n_value_info).map(valueInfo))
    }

    private func node(_ proto: UnsafeMutablePointer<Onnx__NodeProto>) throws -> ONNXNode {
        let n = proto.pointee
        var result = ONNXNode(
            name: swiftString(n.name),
            opType: swiftString(n.op_type),
            domain: swiftString(n.domain),
            inputs: values(n.input, n.n_input).map(swiftString),
            outputs: values(n.output, n.n_output).map(swiftString),
            attributes: [:])
        for a in elements(n.attribute, n.n_attribute) {
            let name = swiftString(a.pointee.name)
            result.attributes[name] = try attribute(a.pointee, name: name, node: result)
        }
        return result
    }

    private func attribute(_ a: Onnx__AttributeProto, name: String, node: ONNXNode) throws -> ONNXAttribute {
        var type = a.has_type != 0 ? a.type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
        if type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED {
            type = inferredType(a)
        }
        let tensorName = "\(node.name.isEmpty ? node.opType : node.name).\(name)"
        switch type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return .float(a.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return .int(Int(a.i))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return .string(text(a.s))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = a.t else {
                throw ONNXImportError.invalidAttribute(file: file, node: node.name, opType: node.opType,
                                                       attribute: name, reason: "is declared TENSOR but holds none")
            }
            return .tensor(try tensors.decode(t, fallbackName: tensorName))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return .floats(values(a.floats, a.n_floats))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return .ints(values(a.ints, a.n_ints).map { Int($0) })
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return .strings(values(a.strings, a.n_strings).map(text))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
            return .tensors(try elements(a.tensors, a.n_tensors).enumerated().map { i, t in
                try tensors.decode(t, fallbackName: "\(tensorName)_\(i)")
            })
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return .unsupported("GRAPH")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return .unsupported("GRAPHS")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return .unsupported("SPARSE_TENSOR")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return .unsupported("SPARSE_TENSORS")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return .unsupported("TYPE_PROTO")
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return .unsupported("TYPE_PROTOS")
        default: return .unsupported("UNDEFINED")
        }
    }

    /// IR version 1 files have no `type` field: pick the one value field that is set.
    private func inferredType(_ a: Onnx__AttributeProto) -> Onnx__AttributeProto__AttributeType {
        if a.has_f != 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT }
        if a.has_i != 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT }
        if a.has_s != 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING }
        if a.t != nil { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR }
        if a.n_floats > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS }
        if a.n_ints > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS }
        if a.n_strings > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS }
        if a.n_tensors > 0 { return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS }
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED
    }

    private func valueInfo(_ proto: UnsafeMutablePointer<Onnx__ValueInfoProto>) throws -> ONNXValueInfo {
        let name = swiftString(proto.pointee.name)
        var info = ONNXValueInfo(name: name, dtype: nil, elementType: 0, shape: nil)
        guard let type = proto.pointee.type, type.pointee.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE,
              let tensorType = type.pointee.tensor_type
        else { return info }
        info.elementType = tensorType.pointee.has_elem_type != 0 ? tensorType.pointee.elem_type : 0
        info.dtype = ONNXDataType.dtype(info.elementType)
        guard let shape = tensorType.pointee.shape else { return info }
        var dims: [Dim] = []
        for (axis, d) in elements(shape.pointee.dim, shape.pointee.n_dim).enumerated() {
            switch d.pointee.value_case {
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE:
                let size = Int(d.pointee.dim_value)
                guard size >= 0 else {
                    throw ONNXImportError.invalidShape(file: file, value: name, dims: [size],
                                                       reason: "dimension \(axis) is negative")
                }
                dims.append(.known(size))
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
                let symbol = swiftString(d.pointee.dim_param)
                dims.append(.symbol(symbol.isEmpty ? "\(name)?\(axis)" : symbol))
            default:
                dims.append(.symbol("\(name)?\(axis)"))
            }
        }
        // Known dimensions are trusted later to size buffers: their product must be allocatable.
        let known = dims.compactMap { if case let .known(size) = $0 { size } else { nil } }
        do { _ = try checkedElementCount(known) } catch {
            throw ONNXImportError.invalidShape(file: file, value: name, dims: known, reason: shapeProblem(error))
        }
        info.shape = Shape(dims)
        return info
    }
}
