/// Gives every run-time value that owns bytes a buffer, reusing buffers
/// whose values are dead: a value lives from the step that writes it to the
/// last step that reads it or any alias of it (graph inputs from the start,
/// graph outputs to the end). Best fit among free buffers, else a new one.
struct BufferAssignment {
    /// Buffer index per value id (owners only), and each buffer's size in floats.
    var bufferOf: [Int: Int] = [:]
    var sizes: [Int] = []

    var peakBytes: Int { sizes.reduce(0, +) * 4 }

    init(values: [PlanValue], steps: [PlanStep], inputs: [Int], outputs: [Int]) {
        func owner(_ id: Int) -> Int {
            if case .alias(let of) = values[id].storage { return owner(of) }
            return id
        }
        var lastUse: [Int: Int] = [:]
        for (s, step) in steps.enumerated() {
            for i in step.inputs { lastUse[owner(i)] = s }
            lastUse[owner(step.output)] = max(lastUse[owner(step.output)] ?? s, s)
        }
        for o in outputs { lastUse[owner(o)] = steps.count }
        var free: [Int] = []
        func allocate(_ id: Int) {
            guard case .buffer = values[id].storage, bufferOf[id] == nil else { return }
            let need = max(values[id].elementCount, 1)
            if let best = free.filter({ sizes[$0] >= need }).min(by: { sizes[$0] < sizes[$1] }) {
                free.removeAll { $0 == best }
                bufferOf[id] = best
            } else if let grow = free.max(by: { sizes[$0] < sizes[$1] }) {
                // No free buffer is large enough: enlarge the largest instead of adding one.
                free.removeAll { $0 == grow }
                sizes[grow] = need
                bufferOf[id] = grow
            } else {
                sizes.append(need)
                bufferOf[id] = sizes.count - 1
            }
        }
        for i in inputs { allocate(i) }
        var dying: [Int: [Int]] = [:]
        for (id, s) in lastUse { dying[s, default: []].append(id) }
        for i in inputs where lastUse[i] == nil { dying[-1, default: []].append(i) }
        for b in dying[-1] ?? [] { if let buf = bufferOf[b] { free.append(buf) } }
        for (s, step) in steps.enumerated() {
            allocate(owner(step.output))
            for id in dying[s] ?? [] { if let b = bufferOf[id] { free.append(b) } }
        }
    }
}
