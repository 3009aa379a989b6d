import Dispatch
import Foundation
import GraphIR
import TensorCore

/// A compiled graph, ready to run on the CPU.
///
/// One plan per concrete set of input shapes is built on first use and
/// cached (the graph's symbolic batch comes from the inputs). `run` is
/// serialised per plan: its buffers are reused between calls.
public final class ExecutionPlan: @unchecked Sendable {
    public let graph: Graph
    /// The batch size fixed at compile time, or nil when taken from each run's inputs.
    public let batchSize: Int?
    private var cache: [[Int]: CompiledPlan] = [:]
    /// Per batch-size key: whether images may run independently (see `BatchSeparability`).
    private var separable: [[Int]: Bool] = [:]
    /// Per group size: one single-threaded plan per core, for batches run group by group.
    private var perGroupPlans: [Int: [CompiledPlan]] = [:]
    private let lock = NSLock()
    /// Packed weights shared by all compiled plans.
    private let weights = WeightCache()

    init(graph: Graph, batchSize: Int?) {
        self.graph = graph
        self.batchSize = batchSize
    }

    /// Runs the graph. `inputs` maps every graph input name to a float32
    /// tensor in the IR's layout (NCHW for images); returns every graph
    /// output by name, row-major in IR order.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        var shapes: [String: [Int]] = [:]
        for input in graph.inputs {
            guard let t = inputs[input.name] else { throw RuntimeError.missingInput(name: input.name) }
            let expected = input.type.shape
            let matches = t.rank == expected.rank && zip(t.shape, expected.dims).enumerated().allSatisfy { i, pair in
                if let n = pair.1.value { return n == pair.0 }
                return i != 0 || batchSize == nil || batchSize == pair.0
            }
            guard matches, t.dtype.isFloatingPoint else {
                throw RuntimeError.inputShape(name: input.name, expected: "\(input.type.dtype)\(expected)", actual: t.shape)
            }
            shapes[input.name] = t.shape
        }
        lock.lock()
        defer { lock.unlock() }
        if let workers = try perImageWorkers(for: shapes) {
            if let staged = try stagedPlans(for: shapes) { return try runStaged(inputs, staged) }
            return try runImageByImage(inputs, workers: workers)
        }
        return try compiledLocked(for: shapes).run(inputs)
    }

    /// The most images per group in the late stage of a staged run (`GRAFT_STAGE_GROUP`; 1 turns
    /// staging off). 16 measured best at batch 32 (MobileNetV2-160 457–471 img/s with groups of 4,
    /// 474–481 with 8, 477–486 with 16; EfficientNet-Lite0 188–189 → 189–194).
    static let stageGroup = max(1, Int(ProcessInfo.processInfo.environment["GRAFT_STAGE_GROUP"] ?? "") ?? 16)

    /// The late stage's groups of a batch: the same number for every core, of equal size
    /// (within one image), at most `stageGroup` images each.
    static func stageGroups(batch: Int, cores: Int) -> [Range<Int>] {
        let count = cores * ((batch + cores * stageGroup - 1) / (cores * stageGroup))
        let size = (batch + count - 1) / count
        return stride(from: 0, to: batch, by: size).map { $0..<min($0 + size, batch) }
    }

    /// Per core: the batch-1 prefix plan and the suffix plans per group size.
    private struct Staged {
        let split: StageSplit
        let prefix: [CompiledPlan]
        var suffix: [Int: [CompiledPlan]]
    }
    /// Per batch-1 input shapes: the staged plans, or nil when the graph has no cut.
    private var staged: [[Int]: Staged?] = [:]

    /// The staged plans for a separable batch of these shapes: the graph's early part runs
    /// image by image, the part after a late single-value cut (`StageSplit`) on groups of
    /// up to `stageGroup` images, one single-threaded plan per core for each. Nil when the batch
    /// is smaller than 4 images per core, staging is off, or there is no cut.
    private func stagedPlans(for shapes: [String: [Int]]) throws -> Staged? {
        guard Self.groupSize == 1, Self.stageGroup > 1,
              let first = graph.inputs.first, let batch = shapes[first.name]?.first,
              batch >= min(Self.stageGroup, 4) * Parallel.machineCores else { return nil }
        var one = shapes
        for input in graph.inputs { one[input.name]![0] = 1 }
        let key = graph.inputs.flatMap { one[$0.name]! + [-1] }
        if let done = staged[key] { return done }
        var result: Staged? = nil
        if let split = StageSplit.find(graph, batch1: one) {
            let batch1 = one
            let prefix = try perCorePlans { try CompiledPlan(graph: split.prefix, inputShapes: batch1, weights: self.weights) }
            result = Staged(split: split, prefix: prefix, suffix: [:])
        }
        staged[key] = result
        return result
    }

    /// Runs a batch in `stageGroups`, one group at a time per core:
    /// each image of the group through the prefix plan, then the group through the suffix plan.
    private func runStaged(_ inputs: [String: Tensor], _ plans: Staged) throws -> [String: Tensor] {
        let batch = inputs[graph.inputs[0].name]!.shape[0]
        let groups = Self.stageGroups(batch: batch, cores: Parallel.machineCores)
        let split = plans.split
        var one: [String: [Int]] = [:]
        for (k, v) in inputs { one[k] = [1] + v.shape.dropFirst() }
        let key = graph.inputs.flatMap { one[$0.name]! + [-1] }
        var plans = plans
        for g in groups where plans.suffix[g.count] == nil {
            var shapes = [split.cut: [g.count] + split.cutShape.dropFirst()]
            for name in split.shapeInputs { shapes[name] = [g.count] + inputs[name]!.shape.dropFirst() }
            let groupShapes = shapes
            plans.suffix[g.count] = try perCorePlans { try CompiledPlan(graph: split.suffix, inputShapes: groupShapes, weights: self.weights) }
        }
        staged[key] = plans
        let flat = inputs.mapValues { $0.converted(to: .float32) }
        let results = UnsafeMutableBufferPointer<[String: Tensor]>.allocate(capacity: groups.count)
        results.initialize(repeating: [:])
        defer { results.deinitialize(); results.deallocate() }
        let workers = Parallel.machineCores
        let perCut = split.cutShape.reduce(1, *)
        Parallel.perform(workers) { w in
            Parallel.serially {
                for i in stride(from: w, to: groups.count, by: workers) {
                    var cut = [Float]()
                    cut.reserveCapacity(groups[i].count * perCut)
                    for image in groups[i] {
                        var feeds: [String: Tensor] = [:]
                        for (name, t) in flat {
                            let per = t.elementCount / batch
                            let scalars = t.withUnsafeFloats { Array($0[(image * per)..<((image + 1) * per)]) }
                            feeds[name] = Tensor(shape: [1] + t.shape.dropFirst(), scalars: scalars)
                        }
                        guard let out = try? plans.prefix[w].run(feeds)[split.cut] else { return }
                        cut += out.scalars
                    }
                    var feeds = [split.cut: Tensor(shape: [groups[i].count] + split.cutShape.dropFirst(), scalars: cut)]
                    for name in split.shapeInputs {
                        // Read only through `shape`: the group's slice of the input.
                        let t = flat[name]!, per = t.elementCount / batch
                        let scalars = t.withUnsafeFloats { Array($0[(groups[i].lowerBound * per)..<(groups[i].upperBound * per)]) }
                        feeds[name] = Tensor(shape: [groups[i].count] + t.shape.dropFirst(), scalars: scalars)
                    }
                    results[i] = (try? plans.suffix[groups[i].count]![w].run(feeds)) ?? [:]
                }
            }
        }
        return try stack(results, groups: groups, batch: batch)
    }

    /// One single-threaded plan per core, compiled on all cores at once (the second costs
    /// little more than the first: packed weights are shared through `weights`).
    private func perCorePlans(_ make: @escaping @Sendable () throws -> CompiledPlan) throws -> [CompiledPlan] {
        let cores = Parallel.machineCores
        let slots = UnsafeMutableBufferPointer<Result<CompiledPlan, Error>?>.allocate(capacity: cores)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        let box = UncheckedSlots(slots)
        DispatchQueue.concurrentPerform(iterations: cores) { core in
            box.slots[core] = Result { try Parallel.serially(make) }
        }
        return try slots.map { try $0!.get() }
    }

    /// Concatenates the per-group outputs along the batch axis.
    private func stack(_ results: UnsafeMutableBufferPointer<[String: Tensor]>, groups: [Range<Int>], batch: Int) throws -> [String: Tensor] {
        var outputs: [String: Tensor] = [:]
        for name in graph.outputs {
            var scalars: [Float] = []
            var shape: [Int] = []
            for i in groups.indices {
                guard let t = results[i][name] else {
                    throw RuntimeError.invalidGraph(reason: "images \(groups[i]) produced no output \(name)")
                }
                scalars += t.scalars
                shape = [batch] + t.shape.dropFirst()
            }
            outputs[name] = Tensor(shape: shape, scalars: scalars)
        }
        return outputs
    }

    /// Images per group when a batch runs group by group (1 = image by image;
    /// `GRAFT_MICRO_BATCH` overrides it for experiments).
    static let groupSize = max(1, Int(ProcessInfo.processInfo.environment["GRAFT_MICRO_BATCH"] ?? "") ?? 1)

    /// The per-core plans for groups of `groupSize` images when a batch of these
    /// shapes can run that way on all cores (batch ≥ cores and no op mixes images), else nil.
    private func perImageWorkers(for shapes: [String: [Int]]) throws -> [CompiledPlan]? {
        let cores = Parallel.machineCores
        guard cores > 1, let first = graph.inputs.first, let batch = shapes[first.name]?.first, batch >= cores,
              graph.inputs.allSatisfy({ $0.type.shape.rank > 0 && $0.type.shape[0].value == nil }) else { return nil }
        let key = graph.inputs.flatMap { shapes[$0.name]! + [-1] }
        if separable[key] == nil {
            separable[key] = BatchSeparability.check(try LoweredGraph(graph: graph, inputShapes: shapes))
        }
        guard separable[key] == true else { return nil }
        return try groupPlans(size: min(Self.groupSize, batch), like: shapes)
    }

    /// One single-threaded plan per core for groups of `size` images (cached).
    private func groupPlans(size: Int, like shapes: [String: [Int]]) throws -> [CompiledPlan] {
        if let plans = perGroupPlans[size] { return plans }
        var group = shapes
        for input in graph.inputs { group[input.name]![0] = size }
        let groupShapes = group
        let plans = try perCorePlans { try CompiledPlan(graph: self.graph, inputShapes: groupShapes, weights: self.weights) }
        perGroupPlans[size] = plans
        return plans
    }

    /// Splits the batch into groups, runs them on the per-core plans, and stacks the outputs.
    private func runImageByImage(_ inputs: [String: Tensor], workers: [CompiledPlan]) throws -> [String: Tensor] {
        let batch = inputs[graph.inputs[0].name]!.shape[0]
        let size = min(Self.groupSize, batch)
        let groups = stride(from: 0, to: batch, by: size).map { $0..<min($0 + size, batch) }
        var shapes: [String: [Int]] = [:]
        for (k, v) in inputs { shapes[k] = v.shape }
        // Plans for a shorter last group.
        var plansBySize: [Int: [CompiledPlan]] = [size: workers]
        for g in groups where plansBySize[g.count] == nil { plansBySize[g.count] = try groupPlans(size: g.count, like: shapes) }
        let feedsPerGroup: [[String: Tensor]] = groups.map { g in
            var feeds: [String: Tensor] = [:]
            for (name, t) in inputs {
                let per = t.elementCount / batch
                let scalars = t.converted(to: .float32).withUnsafeFloats { Array($0[(g.lowerBound * per)..<(g.upperBound * per)]) }
                feeds[name] = Tensor(shape: [g.count] + t.shape.dropFirst(), scalars: scalars)
            }
            return feeds
        }
        let results = UnsafeMutableBufferPointer<[String: Tensor]>.allocate(capacity: groups.count)
        results.initialize(repeating: [:])
        defer { results.deinitialize(); results.deallocate() }
        Parallel.perform(workers.count) { w in
            Parallel.serially {
                for i in stride(from: w, to: groups.count, by: workers.count) {
                    results[i] = (try? plansBySize[groups[i].count]![w].run(feedsPerGroup[i])) ?? [:]
                }
            }
        }
        return try stack(results, groups: groups, batch: batch)
    }

    /// The value where a batch of `batch` images switches from image by image to groups of
    /// images (see `StageSplit`), or nil when it does not run staged.
    public func stageCut(batch: Int) throws -> String? {
        lock.lock()
        defer { lock.unlock() }
        let shapes = inputShapes(batch: batch)
        guard try perImageWorkers(for: shapes) != nil else { return nil }
        return try stagedPlans(for: shapes)?.split.cut
    }

    /// Whether a batch of `batch` images runs image by image, one batch-1 plan per core.
    public func runsImageByImage(batch: Int) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return try perImageWorkers(for: inputShapes(batch: batch)) != nil
    }

    /// Bytes of activation buffers the plan for `batch` uses (inputs and outputs included, weights not).
    /// When the batch runs image by image, the sum over the per-core batch-1 plans.
    public func peakBytes(batch: Int) throws -> Int {
        if try runsImageByImage(batch: batch), let workers = perGroupPlans[min(Self.groupSize, batch)] {
            return workers.reduce(0) { $0 + $1.buffers.peakBytes }
        }
        return try compiled(for: inputShapes(batch: batch)).buffers.peakBytes
    }

    /// Kernel calls per op family in the plan for `batch`, e.g. `["conv_kxk": 21, "layout": 1]`.
    public func stepCounts(batch: Int) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for s in try compiled(for: inputShapes(batch: batch)).steps { counts[s.kind, default: 0] += 1 }
        return counts
    }

    /// One line per kernel call of the plan for `batch`: op family, node, and
    /// each operand's shape and layout (for debugging and docs).
    public func summary(batch: Int) throws -> String {
        let plan = try compiled(for: inputShapes(batch: batch))
        func describe(_ id: Int) -> String { "\(plan.values[id].shape) \(plan.values[id].layout)" }
        return plan.steps.map { step in
            "\(step.kind) \(step.node): " + step.inputs.map(describe).joined(separator: ", ") + " -> " + describe(step.output)
        }.joined(separator: "\n")
    }

    /// Seconds per op family for one call of `run(inputs)`, averaged over `repeats`.
    /// For a batch that runs image by image, one group is timed on one core and
    /// scaled by `batch / (group size × cores)` (wall time per family).
    public func profile(_ inputs: [String: Tensor], repeats: Int = 1) throws -> [String: Double] {
        _ = try run(inputs)
        var shapes: [String: [Int]] = [:]
        for (k, v) in inputs { shapes[k] = v.shape }
        lock.lock()
        defer { lock.unlock() }
        var totals: [String: Double] = [:]
        if let workers = try perImageWorkers(for: shapes) {
            let batch = inputs[graph.inputs[0].name]!.shape[0]
            let size = min(Self.groupSize, batch)
            var first: [String: Tensor] = [:]
            for (name, t) in inputs {
                let per = t.elementCount / batch
                first[name] = Tensor(shape: [size] + t.shape.dropFirst(),
                                     scalars: Array(t.converted(to: .float32).scalars.prefix(per * size)))
            }
            let scale = Double(batch) / Double(size * workers.count)
            Parallel.serially {
                for _ in 0..<repeats {
                    for (kind, t) in workers[0].timedRun(first) { totals[kind, default: 0] += t * scale / Double(repeats) }
                }
            }
            return totals
        }
        let plan = try compiledLocked(for: shapes)
        for _ in 0..<repeats {
            for (kind, t) in plan.timedRun(inputs) { totals[kind, default: 0] += t / Double(repeats) }
        }
        return totals
    }

    /// Per kernel call, in plan order: node, op family, the fastest of `repeats` timings
    /// (seconds) and the multiply-adds it does (0 where not counted). Like `profile`, a
    /// batch that runs image by image is timed as its first group on one core.
    public func stepProfile(_ inputs: [String: Tensor], repeats: Int = 5)
        throws -> [(node: String, kind: String, seconds: Double, macs: Int)] {
        _ = try run(inputs)
        var shapes: [String: [Int]] = [:]
        for (k, v) in inputs { shapes[k] = v.shape }
        lock.lock()
        defer { lock.unlock() }
        let plan: CompiledPlan, feeds: [String: Tensor], serial: Bool
        if let workers = try perImageWorkers(for: shapes) {
            let batch = inputs[graph.inputs[0].name]!.shape[0]
            let size = min(Self.groupSize, batch)
            var first: [String: Tensor] = [:]
            for (name, t) in inputs {
                let per = t.elementCount / batch
                first[name] = Tensor(shape: [size] + t.shape.dropFirst(),
                                     scalars: Array(t.converted(to: .float32).scalars.prefix(per * size)))
            }
            (plan, feeds, serial) = (workers[0], first, true)
        } else {
            (plan, feeds, serial) = (try compiledLocked(for: shapes), inputs, false)
        }
        var best = [Double](repeating: .infinity, count: plan.steps.count)
        for _ in 0..<repeats {
            let times = serial ? Parallel.serially { plan.timedSteps(feeds) } : plan.timedSteps(feeds)
            for (i, t) in times.enumerated() { best[i] = min(best[i], t) }
        }
        return plan.steps.enumerated().map { i, s in (s.node, s.kind, best[i], s.macs) }
    }

    /// Concrete input shapes with the symbolic batch set to `batch`.
    func inputShapes(batch: Int) -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for input in graph.inputs {
            shapes[input.name] = input.type.shape.dims.enumerated().map { i, d in d.value ?? (i == 0 ? batch : 1) }
        }
        return shapes
    }

    func compiled(for shapes: [String: [Int]]) throws -> CompiledPlan {
        lock.lock()
        defer { lock.unlock() }
        return try compiledLocked(for: shapes)
    }

    private func compiledLocked(for shapes: [String: [Int]]) throws -> CompiledPlan {
        let key = graph.inputs.flatMap { shapes[$0.name]! + [-1] }
        if let plan = cache[key] { return plan }
        let plan = try CompiledPlan(graph: graph, inputShapes: shapes, weights: weights)
        cache[key] = plan
        return plan
    }
}

/// The plan for one set of input shapes: steps, values and their buffers.
final class CompiledPlan {
    let values: [PlanValue]
    let steps: [PlanStep]
    let buffers: BufferAssignment
    let inputs: [(name: String, id: Int)]
    let outputs: [(name: String, id: Int)]
    private let storage: [FloatBuffer]
    /// The address of every value's first element (aliases share their owner's).
    private let pointers: [UnsafeMutablePointer<Float>]
    /// Each step's input addresses, made once (not an array per step per run).
    private let stepInputs: [[UnsafeMutablePointer<Float>]]
    private let scratch: ScratchArena

    init(graph: Graph, inputShapes: [String: [Int]], weights: WeightCache = WeightCache()) throws {
        var lowered = try LoweredGraph(graph: graph, inputShapes: inputShapes)
        PlanFusion.apply(&lowered)
        let loweredInputs = lowered.inputs, loweredOutputs = lowered.outputs
        var builder = try PlanBuilder(consume lowered, weights: weights)
        let inputs = loweredInputs.map { ($0.name, builder.ids[$0.name]!) }
        var outputs: [(String, Int)] = []
        for o in loweredOutputs {
            let id = builder.value(o.value)
            outputs.append((o.name, builder.ensure(id, .identity(builder.values[id].shape.count))))
        }
        values = builder.values
        steps = builder.steps
        scratch = builder.scratch
        self.inputs = inputs
        self.outputs = outputs
        buffers = BufferAssignment(values: values, steps: steps, inputs: inputs.map(\.1), outputs: outputs.map(\.1))
        let bytes = buffers.peakBytes + scratch.count * 4
        guard bytes <= ActivationLimit.maxBytes else {
            throw RuntimeError.activationsTooLarge(what: nil, shape: [], bytes: bytes, limit: ActivationLimit.maxBytes)
        }
        let storage = buffers.sizes.map { FloatBuffer(count: $0) }
        self.storage = storage
        var pointers: [UnsafeMutablePointer<Float>] = []
        for v in values {
            switch v.storage {
            case .constant(let b): pointers.append(b.pointer)
            case .alias(let of): pointers.append(pointers[of])
            case .buffer: pointers.append(storage.isEmpty ? UnsafeMutablePointer<Float>.allocate(capacity: 1) : storage[0].pointer)
            }
        }
        // Owners get their buffer; aliases were filled above from owners in id order.
        for (id, b) in buffers.bufferOf { pointers[id] = storage[b].pointer }
        for (id, v) in values.enumerated() { if case .alias(let of) = v.storage { pointers[id] = pointers[of] } }
        self.pointers = pointers
        stepInputs = steps.map { $0.inputs.map { pointers[$0] } }
    }

    func run(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        bind(feeds)
        for (step, inputs) in zip(steps, stepInputs) {
            step.kernel.run(inputs, pointers[step.output])
        }
        return collect()
    }

    /// Seconds per op family for one run.
    func timedRun(_ feeds: [String: Tensor]) -> [String: Double] {
        bind(feeds)
        var times: [String: Double] = [:]
        for (step, inputs) in zip(steps, stepInputs) {
            let start = DispatchTime.now().uptimeNanoseconds
            step.kernel.run(inputs, pointers[step.output])
            times[step.kind, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return times
    }

    /// Seconds per step for one run, in step order.
    func timedSteps(_ feeds: [String: Tensor]) -> [Double] {
        bind(feeds)
        return zip(steps, stepInputs).map { step, inputs in
            let start = DispatchTime.now().uptimeNanoseconds
            step.kernel.run(inputs, pointers[step.output])
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    private func bind(_ feeds: [String: Tensor]) {
        for (name, id) in inputs {
            let t = feeds[name]!.converted(to: .float32)
            t.withUnsafeFloats { pointers[id].update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    private func collect() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, id) in outputs {
            let v = values[id]
            let scalars = Array(UnsafeBufferPointer(start: pointers[id], count: v.elementCount))
            result[name] = Tensor(shape: v.shape, scalars: scalars)
        }
        return result
    }
}

/// Slots that concurrent workers fill, each only its own index.
private struct UncheckedSlots<T>: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<T>
    init(_ slots: UnsafeMutableBufferPointer<T>) { self.slots = slots }
}
