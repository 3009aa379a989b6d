import Foundation
import GraphIR

/// Writes a model, then reads the written file back and runs it against the
/// graph it should equal (`OutputCheck`), printing the largest difference, all
/// before the file is renamed to its name.
///
/// When the difference is too large nothing is written and the error says
/// which node first diverges (`FirstDivergence`).
enum VerifiedWrite {
    static func write(_ graph: Graph, to path: String, expected: Graph, verify: Bool) throws {
        guard verify else {
            try ModelWriter.write(graph, to: path)
            print("Wrote \(path)")
            return
        }
        try write(graph, to: path) { written in
            let check: OutputCheck
            do { check = try OutputCheck.compare(expected, written) } catch {
                throw CLIError.writtenModelUnreadable(path: path, reason: String(describing: error))
            }
            print("Check: \(check.summary)")
            guard check.isClose else {
                let divergence = try? FirstDivergence.find(expected, written)
                throw CLIError.writtenModelDiffers(path: path, summary: check.summary, divergence: divergence?.description)
            }
        }
    }

    /// Writes `graph`, reads the complete file back and hands the graph read to `check`, which
    /// throws when the file does not compute what it should: for `graft train`, that the file
    /// reproduces the trained head on real images — one run of the model instead of
    /// `OutputCheck`'s two. Both happen before the file is renamed into place, so a file that
    /// cannot be read back, fails the check, or whose run is killed meanwhile never appears
    /// under `path`.
    static func write(_ graph: Graph, to path: String, checkedBy check: (Graph) throws -> Void) throws {
        let format = try ModelWriter.outputFormat(path)
        try ModelWriter.write(graph, to: path) { temporary in
            let written: Graph
            do {
                // The file was written by Graft a moment ago: no child-process read (saves ~0.1 s).
                written = try ModelLoader.load(temporary.path, format: format, isolated: false)
            } catch {
                let reason = String(describing: error).replacingOccurrences(of: temporary.path, with: path)
                throw CLIError.writtenModelUnreadable(path: path, reason: reason)
            }
            try check(written)
        }
        print("Wrote \(path)")
    }
}
