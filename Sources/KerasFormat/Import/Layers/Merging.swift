import GraphIR
import TensorCore

/// Add and Multiply: a chain of binary nodes over all inputs, NumPy broadcasting.
func importElementwise(_ op: Op) -> @Sendable (LayerCall, inout GraphBuilder) throws(KerasImportError) -> String {
    { (call: LayerCall, b: inout GraphBuilder) throws(KerasImportError) -> String in
        guard call.inputs.count >= 2 else {
            throw .badLayerConfig(layer: call.path, className: call.layer.className, key: "inbound_nodes",
                                  reason: "needs at least two inputs, got \(call.inputs.count)")
        }
        var value = call.inputs[0]
        for (i, other) in call.inputs.enumerated().dropFirst() {
            let shape = try broadcast(b.shape(of: value), b.shape(of: other), call: call)
            let name = i == call.inputs.count - 1 ? call.path : "\(call.path)/\(op.name)_\(i)"
            value = b.node(op, [value, other], shape: shape, name: name, layer: call.path)
        }
        return value
    }
}

/// Concatenate along Keras' `axis` (default -1: channels, IR axis 1 on 4-D).
@Sendable func importConcatenate(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    guard let first = call.inputShapes.first, call.inputShapes.allSatisfy({ $0.rank == first.rank }) else {
        throw .unsupportedShape(layer: call.path, className: call.layer.className,
                                shape: "\(call.inputShapes)", reason: "inputs must have the same rank")
    }
    let kerasAxis = try call.config.int("axis", default: -1)
    guard let axis = WeightLayout.irAxis(kerasAxis, rank: first.rank), axis > 0 else {
        throw call.config.badValue("axis", "\(kerasAxis) is not a non-batch axis of a \(first.rank)-D input")
    }
    var shape = first
    let sizes = call.inputShapes.map { $0[axis].value }
    shape[axis] = sizes.contains(nil) ? .symbol("?") : .known(sizes.map { $0! }.reduce(0, +))
    return b.node(.concat(axis: axis), call.inputs, shape: shape, name: call.path, layer: call.path)
}

/// The broadcast shape of two IR shapes (right-aligned; 1 stretches).
func broadcast(_ a: Shape, _ b: Shape, call: LayerCall) throws(KerasImportError) -> Shape {
    let rank = max(a.rank, b.rank)
    var dims: [Dim] = []
    for k in 0..<rank {
        let da = k - (rank - a.rank) >= 0 ? a[k - (rank - a.rank)] : .known(1)
        let db = k - (rank - b.rank) >= 0 ? b[k - (rank - b.rank)] : .known(1)
        if da == db || db == .known(1) { dims.append(da) }
        else if da == .known(1) { dims.append(db) }
        else if da.value == nil || db.value == nil { dims.append(da.value == nil ? da : db) }
        else {
            throw .unsupportedShape(layer: call.path, className: call.layer.className, shape: "\(a) and \(b)",
                                    reason: "the inputs do not broadcast")
        }
    }
    return Shape(dims)
}
