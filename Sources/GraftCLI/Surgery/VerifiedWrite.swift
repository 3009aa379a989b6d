import Foundation
import GraphIR

/// Writes a model, then reads the written file back and runs it against the
/// graph it should equal (`OutputCheck`), printing the largest difference.
///
/// When the difference is too large the file is removed and the error says
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

    /// Writes `graph`, reads the file back and hands the graph read to `check`, which throws when
    /// the file does not compute what it should: for `graft train`, that the file reproduces the
    /// trained head on real images — one run of the model instead of `OutputCheck`'s two. A file
    /// that cannot be read back or fails the check is removed.
    static func write(_ graph: Graph, to path: String, checkedBy check: (Graph) throws -> Void) throws {
        try ModelWriter.write(graph, to: path)
        print("Wrote \(path)")
        let written: Graph
        do {
            // The file was written by Graft a moment ago: no child-process read (saves ~0.1 s).
            written = try ModelLoader.load(path, isolated: false)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw CLIError.writtenModelUnreadable(path: path, reason: String(describing: error))
        }
        do {
            try check(written)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}
