import Foundation
import GraphIR

/// How much memory a plan's activations may take: the machine's physical memory.
///
/// Activations are not proportional to the file: an input declared
/// `[1, 3, 100000, 100000]` is a few bytes of ONNX and 112 GiB of float32. A plan
/// whose single value, or whose buffers together, cannot fit in memory is refused
/// before anything is allocated — otherwise the allocation fails (a crash) or the
/// kernel's OOM killer ends the process. Checked per value before the kernels are
/// chosen (`LoweredGraph`), and for all buffers and scratch once they are assigned
/// (`CompiledPlan`); the CLI checks the graph inputs when it loads a model.
public enum ActivationLimit {
    /// Bytes of physical memory, or `GRAFT_ACTIVATION_LIMIT` bytes when that is set
    /// (a container's memory limit, or the fuzzer's: `scripts/fuzz.sh`).
    public static var maxBytes: Int { configured ?? Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    private static let configured: Int? = {
        guard let text = ProcessInfo.processInfo.environment["GRAFT_ACTIVATION_LIMIT"], let limit = Int(text), limit > 0 else {
            return nil
        }
        return limit
    }()

    /// Where `limit` comes from, for error messages.
    static func describe(_ limit: Int) -> String {
        configured == nil ? "this machine's \(gibibytes(limit)) of memory" : "the \(gibibytes(limit)) GRAFT_ACTIVATION_LIMIT allows"
    }

    /// Throws `RuntimeError.activationsTooLarge` when a float32 value of `shape` alone is
    /// larger than `maxBytes`; `what` names it in the message ("input x", "value y").
    public static func check(_ what: String, shape: [Int]) throws(RuntimeError) {
        let limit = maxBytes
        let bytes = FoldLimit.elementCount(shape, atMost: .max).flatMap { n -> Int? in
            let (b, overflow) = n.multipliedReportingOverflow(by: 4)
            return overflow ? nil : b
        } ?? .max
        guard bytes <= limit else {
            throw .activationsTooLarge(what: what, shape: shape, bytes: bytes, limit: limit)
        }
    }

    /// Checks every graph input, a symbolic dimension counted as 1 (the smallest batch).
    public static func checkInputs(of graph: Graph) throws(RuntimeError) {
        for input in graph.inputs {
            try check("input \(input.name)", shape: input.type.shape.dims.map { $0.value ?? 1 })
        }
    }
}
