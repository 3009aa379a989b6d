import Foundation
import Testing

/// Compares `actual` with `Goldens/<name>` next to the calling test file.
/// With RECORD_GOLDENS=1 (or no golden yet) it writes the file and fails,
/// so a recording run can never pass silently.
public func expectGolden(_ actual: String, named name: String, filePath: String = #filePath,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("Goldens").appendingPathComponent(name)
    let recording = ProcessInfo.processInfo.environment["RECORD_GOLDENS"] != nil
    guard !recording, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        Issue.record("recorded new golden \(name); review the diff and re-run", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "golden \(name) differs", sourceLocation: sourceLocation)
}
