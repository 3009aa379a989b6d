import Foundation

/// Process-wide settings of the runtime. Set them before compiling or running plans.
public enum RuntimeConfiguration {
    /// Threads kernels and per-image plans may use; defaults to the machine's cores.
    /// Values below 1 are treated as 1.
    public static var threads: Int {
        get { Parallel.machineCores }
        set { Parallel.machineCores = max(1, newValue) }
    }
}
