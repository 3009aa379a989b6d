import Foundation

/// The Python with the reference tools (onnx, onnxruntime, h5py, Keras), made by
/// `scripts/setup-python.sh`. Tests that need it fail, never skip, when it is missing.
public enum ReferencePython {
    public static func executable() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let path = env["GRAFT_PYTHON"] { candidates.append(path) }
        if let venv = env["GRAFT_VENV"] { candidates.append(venv + "/bin/python") }
        let cache = env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        candidates.append(cache + "/graft/venv/bin/python")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw MissingFixture(path: candidates.joined(separator: " or "),
                                 hint: "make it with `bash scripts/setup-python.sh` (or set GRAFT_PYTHON)")
        }
        return URL(fileURLWithPath: found)
    }

    /// Runs `script` (a path in the repository) with `arguments`; returns stdout.
    /// Throws with stderr's last lines when the script fails.
    public static func run(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = [Fixtures.repoFile(script).path] + arguments
        var env = ProcessInfo.processInfo.environment
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); drained.signal() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: errData, as: UTF8.self).split(separator: "\n").suffix(5).joined(separator: "\n")
            throw ReferenceScriptFailed(script: script, status: process.terminationStatus, stderr: tail)
        }
        return String(decoding: outData, as: UTF8.self)
    }
}

public struct ReferenceScriptFailed: Error, CustomStringConvertible {
    public var script: String
    public var status: Int32
    public var stderr: String
    public var description: String { "\(script) exited with \(status):\n\(stderr)" }
}
