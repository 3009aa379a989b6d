/// One executable step of a plan. Kernels read their inputs and write their
/// output through raw pointers into plan buffers whose sizes and layouts the
/// planner fixed at compile time; they never allocate per call and never
/// write to their inputs.
///
/// Forward only for now; a backward kernel per op can be added next to each forward.
protocol Kernel: Sendable {
    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>)
}
