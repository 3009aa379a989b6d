import Dispatch
import Foundation

/// Splits loops over both cores with `DispatchQueue.concurrentPerform`.
enum Parallel {
    static let cores = max(ProcessInfo.processInfo.activeProcessorCount, 1)

    /// Calls `body(range)` on disjoint ranges covering `0..<count`, in parallel
    /// when there is enough `work` (elements touched) to pay for it.
    static func forRanges(_ count: Int, work: Int = .max, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let tasks = min(count, work < 32_768 ? 1 : cores * 4)
        if tasks <= 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }
}
