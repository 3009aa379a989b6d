import GraphIR
import TensorCore

/// Small structural queries and edits shared by the simplification passes.
extension Graph {
    func isOutput(_ value: String) -> Bool { outputs.contains(value) }

    /// Whether `value` is read only by `node` and is not a graph output, so
    /// the producer may change it without anyone else noticing.
    func isOnlyUsed(_ value: String, by node: Int) -> Bool {
        !isOutput(value) && consumers(of: value) == [node]
    }

    /// The node producing input `position` of `node`, if a node produces it.
    func producer(ofInput position: Int, of node: Int) -> Int? {
        let inputs = nodes[node].inputs
        guard position < inputs.count, !inputs[position].isEmpty else { return nil }
        return producer(of: inputs[position])
    }

    /// The parameter's tensor when it is a floating-point constant.
    func floatConstant(_ value: String) -> Tensor? {
        guard let t = constant(value), t.dtype.isFloatingPoint else { return nil }
        return t
    }

    /// The integers of an integer parameter.
    func intConstant(_ value: String) -> [Int]? {
        guard let t = constant(value), !t.dtype.isFloatingPoint else { return nil }
        return t.int64s.map { Int($0) }
    }

    func isTrainable(_ value: String) -> Bool { parameters[value]?.trainable ?? false }

    /// Every name in use: inputs, parameters, node outputs and node names.
    private var usedNames: Set<String> {
        var names = Set(inputs.map(\.name)).union(parameters.keys)
        for node in nodes { names.formUnion(node.outputs); names.insert(node.name) }
        return names
    }

    /// `base`, or `base_1`, `base_2`, … whichever is not yet a value, parameter or node name.
    func uniqueName(_ base: String) -> String {
        let used = usedNames
        if !used.contains(base) { return base }
        var i = 1
        while used.contains("\(base)_\(i)") { i += 1 }
        return "\(base)_\(i)"
    }

    /// Adds a parameter under a fresh name derived from `base` and returns the name.
    mutating func addParameter(_ tensor: Tensor, named base: String, role: ParameterRole, trainable: Bool) -> String {
        let name = uniqueName(base)
        parameters[name] = Parameter(tensor, role: role, trainable: trainable)
        return name
    }

    /// Stores `tensor` as the new value of parameter `name` when `node` is its
    /// only reader; otherwise adds a copy under a fresh name. Returns the name to read.
    mutating func replaceParameter(_ name: String, readBy node: Int, with tensor: Tensor,
                                   role: ParameterRole, trainable: Bool) -> String {
        if !isOutput(name), consumers(of: name) == [node] {
            parameters[name] = Parameter(tensor, role: role, trainable: trainable)
            valueTypes[name] = nil
            return name
        }
        return addParameter(tensor, named: name, role: role, trainable: trainable)
    }

    /// Makes every node that reads `old` read `new` instead (graph outputs are untouched).
    mutating func replaceUses(of old: String, with new: String) {
        for i in nodes.indices where nodes[i].inputs.contains(old) {
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
        }
    }

    /// Whether `bypass(node, with:)` can remove `node`: always when its output is
    /// not a graph output; otherwise only when `value` comes from a node and is
    /// not itself a graph output, so that value can take the output's name.
    func canBypass(_ node: Int, with value: String) -> Bool {
        let outs = nodes[node].outputs
        guard let first = outs.first, !first.isEmpty, outs.dropFirst().allSatisfy(\.isEmpty), !value.isEmpty else { return false }
        let out = nodes[node].outputs[0]
        guard isOutput(out) else { return true }
        return !isOutput(value) && producer(of: value) != nil
    }

    /// Removes `node`, whose single output equals `value`: readers of the output
    /// read `value`; if the output is a graph output, `value` is renamed to it.
    /// Precondition: `canBypass(node, with: value)`.
    mutating func bypass(_ node: Int, with value: String) {
        let out = nodes[node].outputs[0]
        nodes.remove(at: node)
        if isOutput(out) {
            let type = valueTypes[out]
            rename(value, to: out)
            if let type { valueTypes[out] = type }
        } else {
            replaceUses(of: out, with: value)
            valueTypes[out] = nil
        }
    }

    /// Renames a node-produced value everywhere it appears.
    mutating func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].outputs = nodes[i].outputs.map { $0 == old ? new : $0 }
        }
        replaceUses(of: old, with: new)
        outputs = outputs.map { $0 == old ? new : $0 }
        if let t = valueTypes.removeValue(forKey: old) { valueTypes[new] = t }
    }

    /// The permutation of a transpose node; an empty `perm` means reversed axes
    /// and needs the input's rank.
    func permutation(of node: Int) -> [Int]? {
        guard case .transpose(let perm) = nodes[node].op else { return nil }
        if !perm.isEmpty { return perm }
        guard let rank = type(of: nodes[node].inputs[0])?.shape.rank else { return nil }
        return Array((0..<rank).reversed())
    }
}

/// `inverse[p[k]] = k`.
func inversePermutation(_ p: [Int]) -> [Int] {
    var inverse = Array(repeating: 0, count: p.count)
    for (k, axis) in p.enumerated() { inverse[axis] = k }
    return inverse
}
