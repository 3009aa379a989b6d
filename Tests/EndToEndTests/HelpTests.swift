import Testing
import TestSupport

/// `--help` is a normal exit with ArgumentParser's text, never an error line.
@Test(arguments: [["--help"], ["inspect", "--help"], ["cut", "--help"], ["help", "bench"]])
func helpExitsZeroWithUsage(_ arguments: [String]) throws {
    let run = try runGraft(arguments)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("USAGE: graft"))
    #expect(!run.stderr.contains("error"))
}

@Test func topLevelHelpMatchesGolden() throws {
    try expectGolden(try runGraft(["--help"]).stdout, named: "graft-help.txt")
}
