import Dispatch
import Foundation

/// Splits loops over both cores with `DispatchQueue.concurrentPerform`.
///
/// A thread can be marked serial (`serially`): the plans that run one image
/// per core use it so that kernels inside them do not split again.
enum Parallel {
    /// The cores to use: the machine's, unless `RuntimeConfiguration.threads` says fewer or more.
    nonisolated(unsafe) static var machineCores = max(ProcessInfo.processInfo.activeProcessorCount, 1)
    /// Thread-local flag for `serially` (a pthread key: `Parallel.cores` is read several
    /// times per kernel call, and a `threadDictionary` lookup costs about a microsecond).
    private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    private static let serialMark = UnsafeMutableRawPointer(bitPattern: 1)!

    /// Cores a kernel may use on the calling thread: all of them, or 1 inside `serially`.
    static var cores: Int {
        pthread_getspecific(serialKey) != nil ? 1 : machineCores
    }

    /// Runs `body` with every kernel it calls on this thread kept on this thread.
    static func serially<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, serialMark)
        defer { pthread_setspecific(serialKey, previous) }
        return try body()
    }

    /// `body(i)` for `i` in `0..<iterations`, in parallel unless there is one iteration.
    static func perform(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    }

    /// Calls `body(range)` on disjoint ranges covering `0..<count`, in parallel
    /// when there is enough `work` (elements touched) to pay for it.
    static func forRanges(_ count: Int, work: Int = .max, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let cores = self.cores
        let tasks = min(count, work < 32_768 || cores == 1 ? 1 : cores * 4)
        if tasks <= 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }
}
