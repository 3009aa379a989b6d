import Dispatch
import Foundation
import Synchronization

/// Splits loops over the cores on a persistent `WorkerPool` when it is free, otherwise
/// (another thread is using it, a nested call, or `GRAFT_POOL=0`) with
/// `DispatchQueue.concurrentPerform`.
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

    /// Loops run on the persistent `WorkerPool` unless `GRAFT_POOL=0`. On a quiet 2-core
    /// machine the pool cut batch-1 latency by a third (MobileNetV2-160 4.9–5.8 → 3.2 ms,
    /// open_nsfw 17.5 → 15.3 ms; `benchmarks.md`); on an oversubscribed one its spinning
    /// worker costs time slices, and GCD is the better choice there.
    static let usePool = ProcessInfo.processInfo.environment["GRAFT_POOL"] != "0"

    /// The pool for `machineCores` (rebuilt if `RuntimeConfiguration.threads` changes it).
    nonisolated(unsafe) private static var pool: WorkerPool?
    private static let poolLock = NSLock()

    private static func sharedPool() -> WorkerPool {
        poolLock.lock()
        defer { poolLock.unlock() }
        if let pool, pool.workers == machineCores - 1 { return pool }
        let fresh = WorkerPool(workers: machineCores - 1)
        pool = fresh  // a replaced pool's threads stay parked; the thread count changes rarely
        return fresh
    }

    /// `body(i)` for `i` in `0..<iterations`, in parallel unless there is one iteration.
    static func perform(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 1 { if iterations == 1 { body(0) }; return }
        if machineCores > 1, usePool, sharedPool().run(iterations, body) { return }
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    }

    /// Calls `body(range)` on disjoint ranges covering `0..<count`, in parallel
    /// when there is enough `work` (elements touched) to pay for it.
    static func forRanges(_ count: Int, work: Int = .max, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let cores = self.cores
        let tasks = min(count, work < 32_768 || cores == 1 ? 1 : cores * 4)
        if tasks <= 1 { body(0..<count); return }
        perform(tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Fork-join on persistent threads: `workers` threads plus the caller take
/// iterations of one loop at a time.
///
/// A plan's kernel calls are 10–300 µs each at batch 1; the pool avoids waking
/// GCD's workers for every call (see `Parallel.usePool`). The workers
/// spin on a ticket for `spinNanoseconds` after each loop (the next kernel
/// call usually comes within microseconds), then park on a condition
/// variable. Iterations are claimed with a compare-and-swap on a ticket that
/// carries the loop's generation, so a worker that wakes late can never run
/// an iteration of a loop that has finished; the caller claims iterations
/// too, so a loop completes even when no worker gets a core.
final class WorkerPool: @unchecked Sendable {
    let workers: Int
    /// Generation in the high 32 bits, next unclaimed iteration in the low 32.
    private let ticket = Atomic<Int>(0)
    private let limit = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The loop body; written by the caller before it publishes the ticket.
    private var body: ((Int) -> Void)?
    private var generation = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// How long an idle worker spins before parking (`GRAFT_SPIN_US`, default 100 µs).
    static let spinNanoseconds = UInt64(ProcessInfo.processInfo.environment["GRAFT_SPIN_US"].flatMap { Int($0) } ?? 100) * 1000

    /// `GRAFT_SPIN_YIELD=1`: call `sched_yield` in the spin loop, as OpenBLAS's threads do
    /// (with one core's worth of CPU it was the best variant; see `benchmarks.md`).
    static let yieldWhileSpinning = ProcessInfo.processInfo.environment["GRAFT_SPIN_YIELD"] == "1"

    init(workers: Int) {
        self.workers = workers
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for _ in 0..<workers {
            let thread = Thread { [unowned(unsafe) self] in self.workerLoop() }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(i)` for `i` in `0..<iterations` on the caller and the workers.
    /// Returns false without running anything when the pool is already in use
    /// (a nested call, or another thread's loop): the caller then uses GCD.
    func run(_ iterations: Int, _ body: (Int) -> Void) -> Bool {
        guard iterations < 1 << 31, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            generation = (generation + 1) & 0x7fff_ffff
            let gen = generation
            limit.store(iterations, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            ticket.store(gen << 32, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            work(generation: gen)
            // A worker still runs an iteration; after about 30 µs, yield the core now and
            // then in case the worker is waiting for it (other processes share the machine).
            // Yielding sooner cost a system call per microsecond of every wait.
            var spins = 0
            while finished.load(ordering: .acquiring) < iterations {
                spins += 1
                if spins >= 8192 && spins & 255 == 0 { sched_yield() }
            }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs iterations of loop `generation` until none are left.
    private func work(generation gen: Int) {
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == gen {
            let i = current & 0xffff_ffff
            if i >= limit.load(ordering: .relaxed) { return }
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                body!(i)
                finished.add(1, ordering: .releasing)
                current += 1
            } else {
                current = original
            }
        }
    }

    private func workerLoop() {
        // Read once: a static's lazy initialisation check (`swift_once`) in the spin loop
        // took 5% of a batch-1 profile.
        let spinNanoseconds = Self.spinNanoseconds, yieldWhileSpinning = Self.yieldWhileSpinning
        var seen = 0
        while true {
            var gen = ticket.load(ordering: .acquiring) >> 32
            if gen == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while gen == seen {
                    spins += 1
                    if yieldWhileSpinning { sched_yield() }
                    if spins & 255 == 0, DispatchTime.now().uptimeNanoseconds - start > spinNanoseconds {
                        pthread_mutex_lock(mutex)
                        sleepers.add(1, ordering: .sequentiallyConsistent)
                        while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen { pthread_cond_wait(wake, mutex) }
                        sleepers.subtract(1, ordering: .sequentiallyConsistent)
                        pthread_mutex_unlock(mutex)
                    }
                    gen = ticket.load(ordering: .acquiring) >> 32
                }
            }
            seen = gen
            work(generation: gen)
        }
    }
}
