import Dispatch
import Foundation
import GraphIR
import LinearAlgebra
import Surgery
import TensorCore

/// How BatchNorm nodes behave in a `TrainableGraph`.
public enum BatchNormMode: String, Sendable, Codable, CaseIterable {
    /// Inference mode: moving statistics; scale and shift are not trained (even when listed).
    case frozen
    /// Moving statistics; scale and shift trained when listed as trainable.
    case affine
    /// Batch statistics in a training forward; moving statistics updated with momentum;
    /// scale and shift trained when listed.
    case train
}

/// Runs a trailing subgraph (boundary activations → pooled features) forward and
/// backward for fine-tuning.
///
/// Internally every 4-D activation is stored channel-major, `[C, N·H·W]` ("CNHW"), so a
/// 1×1 convolution over the whole batch is one SGEMM (forward and both backward products),
/// and BatchNorm works on contiguous channel rows. The NCHW input is converted on entry and
/// the output back on exit. Buffers are allocated for the largest batch seen and reused.
///
/// Not thread-safe: one forward/backward at a time.
public final class TrainableGraph {
    private var graph: Graph
    private let engine = Engine()
    private var kernels: [(kernel: Kernel, outputs: [Int])] = []
    private var kernelOps: [String] = []

    /// When true, `forward` and `backward` add each kernel's wall time to `kernelSeconds`.
    public var profiling = false
    /// Seconds per `"<op> forward"` / `"<op> backward"` while `profiling` (for benchmarks).
    public private(set) var kernelSeconds: [String: Double] = [:]
    private var slotIndex: [String: Int] = [:]
    private var inputSlot = 0
    private var outputSlot = 0
    private let batchNormMode: BatchNormMode
    private var statisticNames: [String] = []
    private var lastForwardWasTraining = false

    /// Trainable parameter names, in the order nodes first read them.
    public private(set) var trainableNames: [String] = []

    /// `graph`: sorted, typed; exactly one input (e.g. `[N, C, H, W]` NCHW, batch dim symbolic)
    /// and one output (`[N, F]`).
    /// `trainable`: names of `graph.parameters` (role `.weight`) to compute gradients for; the others
    /// are constants. With `batchNorm: .frozen`, BatchNorm scale and shift are never trained and are
    /// left out of `trainableNames` even when listed.
    /// `momentum`: Keras convention, `moving = momentum · moving + (1 - momentum) · batch` (mode `.train`).
    /// `seed`: dropout masks. Throws for an op without a backward kernel, naming node and op.
    public init(_ graph: Graph, trainable: Set<String>, batchNorm: BatchNormMode, momentum: Float = 0.99, seed: UInt64 = 0) throws {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw BackpropError("the graph has \(graph.inputs.count) inputs and \(graph.outputs.count) outputs; a trainable graph needs exactly one of each",
                                hint: "extract it with TrailingSubgraph.extract(_:from:)")
        }
        for name in trainable.sorted() {
            guard let p = graph.parameters[name] else {
                throw BackpropError("'\(name)' is listed as trainable but is not a parameter of the graph", hint: "pass names from graph.parameters")
            }
            guard p.role == .weight, p.tensor.dtype.isFloatingPoint else {
                throw BackpropError("'\(name)' is listed as trainable but is a \(p.role.rawValue) (\(p.tensor.dtype)), not a float weight",
                                    hint: "only weights can be trained; moving statistics follow the BatchNorm mode")
            }
        }
        self.graph = graph
        self.batchNormMode = batchNorm
        // Constant-only subgraphs (ONNX exporters' padding arithmetic: shape, slice, cast, …) have no
        // kernels: fold them into constants first. Nothing computed from a trainable weight is folded.
        var graph = graph
        if graph.nodes.contains(where: Self.isShapeArithmetic) {
            var folding = graph
            for name in trainable { folding.parameters[name]?.trainable = true }
            _ = try FoldConstants(foldTrainable: false).run(on: &folding)
            _ = try RemoveDeadNodes().run(on: &folding)
            try folding.sortTopologically()
            try ShapeInference.infer(&folding)
            graph = folding
        }

        func slot(_ name: String) -> Int {
            if let i = slotIndex[name] { return i }
            let s = Slot()
            if let p = graph.parameters[name] {
                s.isParameter = true
                s.shape = p.tensor.shape
                if p.tensor.dtype.isFloatingPoint {
                    let values = p.tensor.converted(to: .float32)
                    values.withUnsafeFloats { src in
                        let d = s.data.ensure(max(src.count, 1))
                        if let base = src.baseAddress { d.update(from: base, count: src.count) }
                    }
                } else {
                    s.ints = p.tensor.int64s
                }
            }
            engine.slots.append(s)
            slotIndex[name] = engine.slots.count - 1
            return engine.slots.count - 1
        }
        inputSlot = slot(graph.inputs[0].name)

        // BatchNorm scale/shift in frozen mode are constants.
        var excluded = Set<String>()
        if batchNorm == .frozen {
            for node in graph.nodes { if case .batchNorm = node.op { excluded.formUnion(node.inputs.dropFirst().prefix(2)) } }
        }
        var names: [String] = []
        var dropoutIndex: UInt64 = 0
        // BatchNorm followed by relu/clip as the only reader of its output: one kernel, one pass.
        var fusedActivation: [Int: (index: Int, lo: Float, hi: Float)] = [:]
        for (i, node) in graph.nodes.enumerated() {
            guard case .batchNorm = node.op, node.outputs.count == 1, !graph.outputs.contains(node.outputs[0]),
                  graph.type(of: node.inputs[0])?.shape.rank == 4 else { continue }
            let readers = graph.consumers(of: node.outputs[0])
            guard readers.count == 1, let j = readers.first, graph.nodes[j].inputs.count == 1 else { continue }
            switch graph.nodes[j].op {
            case .relu: fusedActivation[i] = (j, 0, .infinity)
            case .clip(let lo, let hi): fusedActivation[i] = (j, lo, hi)
            default: break
            }
        }
        let fusedAway = Set(fusedActivation.values.map(\.index))
        for (nodeIndex, node) in graph.nodes.enumerated() where !fusedAway.contains(nodeIndex) {
            let inputs = node.inputs.map { $0.isEmpty ? -1 : slot($0) }
            var outputs = node.outputs.map { $0.isEmpty ? -1 : slot($0) }
            let fused = fusedActivation[nodeIndex]
            if let fused { outputs = [slot(graph.nodes[fused.index].outputs[0])] }
            for name in node.inputs where trainable.contains(name) && !excluded.contains(name) && !names.contains(name) {
                names.append(name)
                engine.slots[slotIndex[name]!].needsGrad = true
            }
            let ref = NodeRef(name: node.name, op: node.op.name, inputs: inputs, outputs: outputs)
            let kernel: Kernel
            switch node.op {
            case .conv2d(let a): kernel = Conv2DKernel(ref, a)
            case .batchNorm(let eps):
                guard inputs.count == 5, inputs.dropFirst().allSatisfy({ $0 >= 0 && engine.slots[$0].isParameter }) else {
                    throw ref.error("needs constant scale, bias, mean and variance")
                }
                if batchNorm == .train { statisticNames += node.inputs[3...4] }
                kernel = BatchNormKernel(ref, epsilon: eps, mode: batchNorm, momentum: momentum,
                                         clip: fused.map { ($0.lo, $0.hi) })
            case .relu: kernel = ActivationKernel(ref, .relu)
            case .clip(let lo, let hi): kernel = ActivationKernel(ref, .clip(lo, hi))
            case .sigmoid: kernel = ActivationKernel(ref, .sigmoid)
            case .hardSigmoid(let a, let b): kernel = ActivationKernel(ref, .hardSigmoid(a, b))
            case .hardSwish: kernel = ActivationKernel(ref, .hardSwish)
            case .swish: kernel = ActivationKernel(ref, .swish)
            case .identity: kernel = ActivationKernel(ref, .identity)
            case .cast(let to) where to == .float32 && graph.type(of: node.inputs[0])?.dtype == .float32:
                // float → float casts (PyTorch exports wrap every op of open_nsfw in them) do nothing.
                kernel = ActivationKernel(ref, .identity)
            case .dropout(let ratio):
                if outputs.count > 1, !graph.consumers(of: node.outputs[1]).isEmpty || graph.outputs.contains(node.outputs[1]) {
                    throw ref.error("its mask output is used", hint: "only the data output of dropout is supported")
                }
                dropoutIndex += 1
                kernel = DropoutKernel(ref, ratio: ratio, seed: seed &+ dropoutIndex &* 0x9E37_79B9)
            case .add: kernel = BinaryKernel(ref, .add)
            case .sub: kernel = BinaryKernel(ref, .sub)
            case .mul: kernel = BinaryKernel(ref, .mul)
            case .div: kernel = BinaryKernel(ref, .div)
            case .concat(let axis): kernel = ConcatKernel(ref, axis: axis)
            case .averagePool(let a): kernel = PoolKernel(ref, a, max: false)
            case .maxPool(let a): kernel = PoolKernel(ref, a, max: true)
            case .globalAveragePool: kernel = SpatialMeanKernel(ref, keepDims: true)
            case .reduceMean(let axes, let keep):
                let rank = graph.type(of: node.inputs[0])?.shape.rank ?? 4
                guard rank == 4, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] else {
                    throw ref.error("only the mean over the spatial axes [2, 3] of a 4-D value has a backward kernel, got axes \(axes)")
                }
                kernel = SpatialMeanKernel(ref, keepDims: keep)
            case .pad(let mode, let value):
                guard mode == .constant else { throw ref.error("\(mode.rawValue) padding has no backward kernel", hint: "only constant padding is supported") }
                kernel = PadKernel(ref, value: value)
            case .reshape: kernel = ReshapeKernel(ref, .reshape)
            case .flatten(let axis): kernel = ReshapeKernel(ref, .flatten(axis))
            case .squeeze(let axes): kernel = ReshapeKernel(ref, .squeeze(axes))
            case .unsqueeze(let axes): kernel = ReshapeKernel(ref, .unsqueeze(axes))
            case .transpose(let perm): kernel = TransposeKernel(ref, perm: perm)
            case .gemm(let a): kernel = GemmKernel(ref, a, matMul: false)
            case .matMul: kernel = GemmKernel(ref, GemmAttributes(), matMul: true)
            default:
                throw ref.error("has no backward kernel", hint: "pick a boundary after it, or freeze the layers it belongs to")
            }
            // A node output needs a gradient when any of its inputs does.
            let needs = inputs.contains { $0 >= 0 && engine.slots[$0].needsGrad }
            for o in outputs where o >= 0 { engine.slots[o].needsGrad = needs }
            kernels.append((kernel, outputs))
            kernelOps.append(fused.map { node.op.name + "+" + graph.nodes[$0.index].op.name } ?? node.op.name)
        }
        guard let out = slotIndex[graph.outputs[0]] else { throw BackpropError("the output '\(graph.outputs[0])' is not computed by any node") }
        outputSlot = out
        trainableNames = names
        for s in engine.slots where s.needsGrad { s.grad = FloatBuffer() }
    }

    private static func isShapeArithmetic(_ node: Node) -> Bool {
        switch node.op {
        case .shape, .gather, .slice, .cast, .constantOfShape: true
        default: false
        }
    }

    /// The current value of a trainable parameter (NCHW/OIHW layout as in the IR).
    public func parameter(_ name: String) -> Tensor {
        guard let i = slotIndex[name] else { preconditionFailure("no parameter '\(name)'") }
        let s = engine.slots[i]
        return Tensor(shape: s.shape, scalars: Array(UnsafeBufferPointer(start: s.data.pointer, count: s.count)))
    }

    /// Adds `delta` (same element count, parameter layout) to a trainable parameter:
    /// how an optimizer outside applies its step.
    public func update(_ name: String, by delta: [Float]) {
        delta.withUnsafeBufferPointer { update(name, by: $0) }
    }

    /// As `update(_:by:)` with `[Float]`, without an array (e.g. straight from an optimizer's buffer).
    public func update(_ name: String, by delta: UnsafeBufferPointer<Float>) {
        guard let i = slotIndex[name], trainableNames.contains(name) else { preconditionFailure("'\(name)' is not trainable") }
        let s = engine.slots[i]
        precondition(delta.count == s.count, "update of '\(name)' needs \(s.count) values, got \(delta.count)")
        let p = s.data.pointer
        for k in 0..<delta.count { p[k] += delta[k] }
    }

    /// Sets a trainable parameter to `values` rounded to Float: how an optimizer that keeps
    /// Double master weights hands them over.
    public func setParameter(_ name: String, to values: UnsafeBufferPointer<Double>) {
        guard let i = slotIndex[name], trainableNames.contains(name) else { preconditionFailure("'\(name)' is not trainable") }
        let s = engine.slots[i]
        precondition(values.count == s.count, "'\(name)' needs \(s.count) values, got \(values.count)")
        let p = s.data.pointer
        for k in 0..<values.count { p[k] = Float(values[k]) }
    }

    /// Forward over a batch: `input` shaped `[n, ...]` as the graph input (NCHW). Returns the output `[n, F]`.
    /// `training`: dropout active, BatchNorm per mode (batch statistics and moving-statistics update in
    /// `.train`), and what `backward` needs is kept.
    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        let expected = graph.inputs[0].type.shape
        guard input.rank == expected.rank,
              zip(input.shape, expected.dims).dropFirst().allSatisfy({ $1.value == nil || $1.value == $0 }) else {
            throw BackpropError("input \(input.shape) does not match the graph input '\(graph.inputs[0].name)' \(expected)")
        }
        engine.training = training
        BLAS.setThreads(1)
        let s = engine.slots[inputSlot]
        let input32 = input.converted(to: .float32)
        s.shape = input.shape
        s.cnhw = input.rank == 4
        let d = s.data.ensure(max(input.elementCount, 1))
        input32.withUnsafeFloats { src in
            guard let base = src.baseAddress else { return }
            if input.rank == 4 {
                swapLeadingAxes(base, d, a: input.shape[0], b: input.shape[1], inner: input.shape[2] * input.shape[3])
            } else {
                d.update(from: base, count: src.count)
            }
        }
        for (i, (kernel, _)) in kernels.enumerated() {
            if profiling {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try kernel.forward(engine)
                kernelSeconds[kernelOps[i] + " forward", default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            } else {
                try kernel.forward(engine)
            }
        }
        lastForwardWasTraining = training
        let o = engine.slots[outputSlot]
        let out = engine.data(outputSlot, cnhw: false, key: 2)
        return Tensor(shape: o.shape, scalars: Array(UnsafeBufferPointer(start: out, count: o.count)))
    }

    /// Backward of the last training forward: `outputGradient` is dLoss/dOutput, shaped as the output.
    /// Returns dLoss/dParameter for every trainable name (same shapes as the parameters).
    public func backward(_ outputGradient: Tensor) throws -> [String: Tensor] {
        guard lastForwardWasTraining else {
            throw BackpropError("backward needs a preceding forward(_:training: true)", hint: "run forward with training: true first")
        }
        let o = engine.slots[outputSlot]
        guard outputGradient.shape == o.shape else {
            throw BackpropError("output gradient \(outputGradient.shape) does not match the output \(o.shape)")
        }
        BLAS.setThreads(1)
        for s in engine.slots where s.needsGrad {
            s.grad!.ensure(max(s.count, 1))
            s.gradFresh = true
        }
        if o.needsGrad {
            let g = o.grad!.pointer
            outputGradient.converted(to: .float32).withUnsafeFloats { src in
                if o.cnhw {
                    swapLeadingAxes(src.baseAddress!, g, a: o.shape[0], b: o.shape[1], inner: o.shape[2] * o.shape[3])
                } else {
                    g.update(from: src.baseAddress!, count: o.count)
                }
            }
            o.gradFresh = false
            for (i, (kernel, outputs)) in kernels.enumerated().reversed() where outputs.contains(where: { $0 >= 0 && engine.slots[$0].needsGrad }) {
                if profiling {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    try kernel.backward(engine)
                    kernelSeconds[kernelOps[i] + " backward", default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                } else {
                    try kernel.backward(engine)
                }
            }
        }
        var result: [String: Tensor] = [:]
        for name in trainableNames {
            let s = engine.slots[slotIndex[name]!]
            if s.gradFresh || !o.needsGrad {
                result[name] = Tensor(zeros: s.shape)
            } else {
                result[name] = Tensor(shape: s.shape, scalars: Array(UnsafeBufferPointer(start: s.grad!.pointer, count: s.count)))
            }
        }
        return result
    }

    /// The input graph with the current trainable parameters and (mode `.train`) moving statistics
    /// written back, parameter names unchanged — what gets exported.
    public func updatedGraph() -> Graph {
        var g = graph
        for name in trainableNames + statisticNames {
            guard var p = g.parameters[name] else { continue }
            p.tensor = parameter(name)  // float32, as the executor keeps every parameter
            g.parameters[name] = p
        }
        return g
    }
}
