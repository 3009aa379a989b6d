import Foundation

/// The result of running the built `graft` executable.
public struct GraftRun: Sendable {
    public var status: Int32
    /// True when the process ended by a signal (a crash), not by `exit`.
    public var crashed: Bool
    public var stdout: String
    public var stderr: String

    public var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

/// Runs the `graft` binary that `swift build` put beside the test bundle.
public func runGraft(_ arguments: [String], timeout: TimeInterval = 120,
                     environment: [String: String] = [:]) throws -> GraftRun {
    let process = Process()
    process.executableURL = graftExecutable
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain both pipes while the process runs so a large output cannot block it.
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        process.terminate()
        throw GraftTimeout(arguments: arguments, seconds: timeout)
    }
    group.wait()
    process.waitUntilExit()
    return GraftRun(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
                    stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// `.build/<config>/graft`, found from the test bundle's location.
public var graftExecutable: URL {
    var dir = Bundle.main.bundleURL
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("graft")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("graft")
}

public struct GraftTimeout: Error, CustomStringConvertible {
    public var arguments: [String]
    public var seconds: TimeInterval
    public var description: String { "graft \(arguments.joined(separator: " ")) did not finish in \(Int(seconds)) s (a hang)" }
}
