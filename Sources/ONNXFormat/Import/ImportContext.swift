import GraphIR
import TensorCore

/// What an op importer sees and may change while translating one node.
///
/// Graph-wide state (known constants, stated types, the opset) lives across
/// nodes; `nodeName`, `inputs` and `outputs` are reset for each node and become
/// the IR node's fields, so an importer can drop inputs it folded into
/// attributes (Clip bounds, Squeeze axes) or add constant inputs (Slice-1).
struct ImportContext {
    /// The file name, for errors.
    let file: String
    /// The version of the default operator set the model imports.
    let opset: Int
    /// Types the file states for values (inputs, outputs, value_info).
    let valueTypes: [String: ValueType]
    /// Every value some node reads or the graph outputs.
    let consumedValues: Set<String>
    /// Tensors known at import time: initializers and `Constant` outputs.
    private(set) var constants: [String: Tensor]
    /// Constants created while translating (e.g. Slice-1 `starts`), to become `.constant` parameters.
    private(set) var createdConstants: [String: Tensor] = [:]
    /// Op type of the node producing each value seen so far.
    private(set) var producers: [String: String] = [:]

    /// The node being translated.
    private(set) var node = ONNXNode(name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [:])
    /// The IR node's unique name.
    private(set) var nodeName = ""
    /// The IR node's inputs; starts as the file's inputs.
    var inputs: [String] = []
    /// The IR node's outputs; starts as the file's outputs.
    var outputs: [String] = []

    init(file: String, opset: Int, valueTypes: [String: ValueType], consumedValues: Set<String>,
         constants: [String: Tensor]) {
        self.file = file
        self.opset = opset
        self.valueTypes = valueTypes
        self.consumedValues = consumedValues
        self.constants = constants
    }

    mutating func begin(_ node: ONNXNode, name: String) {
        self.node = node
        nodeName = name
        inputs = node.inputs
        outputs = node.outputs
    }

    /// Records the finished node's outputs (for rank lookups by later nodes).
    mutating func finish(opType: String) {
        for output in outputs where !output.isEmpty { producers[output] = opType }
    }

    mutating func addKnownConstant(_ tensor: Tensor, named name: String) {
        constants[name] = tensor
    }

    /// Adds an int64 constant input named `<node>/<role>` and returns its name.
    mutating func makeConstant(_ values: [Int], role: String) -> String {
        var name = "\(nodeName)/\(role)"
        while constants[name] != nil { name += "_" }
        let tensor = Tensor(shape: [values.count], int64s: values.map(Int64.init))
        constants[name] = tensor
        createdConstants[name] = tensor
        return name
    }

    // MARK: - Attributes

    func attribute(_ name: String) -> ONNXAttribute? { node.attributes[name] }

    func int(_ name: String, default fallback: Int? = nil) throws -> Int {
        switch attribute(name) {
        case .int(let v): return v
        case nil: if let fallback { return fallback }
        case let other?: throw wrongType(name, expected: "INT", found: other)
        }
        throw missing(name)
    }

    func ints(_ name: String, default fallback: [Int]? = nil) throws -> [Int] {
        switch attribute(name) {
        case .ints(let v): return v
        case .int(let v): return [v]
        case nil: if let fallback { return fallback }
        case let other?: throw wrongType(name, expected: "INTS", found: other)
        }
        throw missing(name)
    }

    func optionalInts(_ name: String) throws -> [Int]? {
        attribute(name) == nil ? nil : try ints(name)
    }

    func float(_ name: String, default fallback: Float? = nil) throws -> Float {
        switch attribute(name) {
        case .float(let v): return v
        case .int(let v): return Float(v)
        case nil: if let fallback { return fallback }
        case let other?: throw wrongType(name, expected: "FLOAT", found: other)
        }
        throw missing(name)
    }

    func string(_ name: String, default fallback: String? = nil) throws -> String {
        switch attribute(name) {
        case .string(let v): return v
        case nil: if let fallback { return fallback }
        case let other?: throw wrongType(name, expected: "STRING", found: other)
        }
        throw missing(name)
    }

    func tensor(_ name: String) throws -> Tensor? {
        switch attribute(name) {
        case .tensor(let t): return t.tensor
        case nil: return nil
        case let other?: throw wrongType(name, expected: "TENSOR", found: other)
        }
    }

    // MARK: - Inputs

    /// The input at `index`, or `nil` when absent (past the end or `""`).
    func input(_ index: Int) -> String? {
        index < node.inputs.count && !node.inputs[index].isEmpty ? node.inputs[index] : nil
    }

    /// The constant behind input `index`, `nil` when the input is absent;
    /// throws `nonConstantInput` when it is computed at run time.
    func constantInput(_ index: Int, purpose: String) throws -> Tensor? {
        guard let name = input(index) else { return nil }
        guard let tensor = constants[name] else {
            throw ONNXImportError.nonConstantInput(file: file, node: nodeName, opType: node.opType,
                                                   input: name, purpose: purpose)
        }
        return tensor
    }

    /// A constant integer input (axes, indices) as `Int`s; `nil` when the input is absent.
    func intsInput(_ index: Int, purpose: String) throws -> [Int]? {
        guard let tensor = try constantInput(index, purpose: purpose) else { return nil }
        guard !tensor.dtype.isFloatingPoint else {
            throw invalid("has a \(tensor.dtype) \(purpose) input; integers are required")
        }
        return tensor.int64s.map { Int($0) }
    }

    /// A constant input holding exactly one number, as `Float`.
    func scalarInput(_ index: Int, purpose: String) throws -> Float? {
        guard let tensor = try constantInput(index, purpose: purpose) else { return nil }
        guard tensor.elementCount == 1 else {
            throw invalid("has a \(purpose) input of shape \(tensor.shape); a single value is required")
        }
        return tensor.scalars[0]
    }

    /// The rank of `value` when the file states it, it is a constant, or its producer fixes it.
    func rank(of value: String) -> Int? {
        if let t = valueTypes[value] { return t.shape.rank }
        if let c = constants[value] { return c.rank }
        switch producers[value] {
        case "Gemm", "Flatten": return 2
        default: return nil
        }
    }

    /// Keeps the first `count` outputs; fails when a dropped one (a mask, indices,
    /// training statistics) is read by another node.
    mutating func keepOutputs(_ count: Int) throws {
        for dropped in outputs.dropFirst(count) where !dropped.isEmpty && consumedValues.contains(dropped) {
            throw invalid("has output \"\(dropped)\" in use, which Graft does not compute")
        }
        outputs = Array(outputs.prefix(count))
    }

    // MARK: - Errors

    func invalid(_ reason: String) -> ONNXImportError {
        .invalidNode(file: file, node: nodeName, opType: node.opType, reason: reason)
    }

    func invalidAttribute(_ name: String, _ reason: String) -> ONNXImportError {
        .invalidAttribute(file: file, node: nodeName, opType: node.opType, attribute: name, reason: reason)
    }

    private func missing(_ name: String) -> ONNXImportError {
        invalidAttribute(name, "is required but missing")
    }

    private func wrongType(_ name: String, expected: String, found: ONNXAttribute) -> ONNXImportError {
        invalidAttribute(name, "must be \(expected) but is \(found.typeName)")
    }
}
