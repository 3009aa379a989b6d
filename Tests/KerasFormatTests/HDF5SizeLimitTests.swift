import Foundation
@testable import HDF5Support
import TestSupport
import Testing

/// `HDF5SizeLimit` on its own. Through a file, libhdf5 1.10.8 refuses an attribute whose
/// declared data runs past its message before Graft's attribute bound is reached
/// (`attributeDeclaresBeyondFile`), so the bound that `stringArrayAttribute` applies
/// (count × 16 bytes of heap references, or count × width) is checked here directly.
@Test func sizesBeyondTheFileAreRefusedAndSizesWithinItPass() throws {
    let file = try HDF5File.open(Fixtures.repoFile("Formats/keras-h5/corrupt/attribute_declares_beyond_file.h5"))
    let size = file.byteCount
    #expect(size > 10_000 && size < 100_000)

    // What the patched file declares: 100,000 variable-length strings.
    #expect(throws: HDF5Error.declaredBeyondFile(path: "/model_weights@layer_names", declared: 1_600_000, fileSize: size)) {
        try HDF5SizeLimit.checkInFile(100_000 * 16, file: file, path: "/model_weights@layer_names")
    }
    #expect(throws: Never.self) { try HDF5SizeLimit.checkInFile(size, file: file, path: "a") }
    #expect(throws: HDF5Error.self) { try HDF5SizeLimit.checkInFile(size + 1, file: file, path: "a") }

    // Chunked (maybe deflated) data: at most 1100 times what is stored, plus 1 MiB.
    let stored = 1000, bound = stored * HDF5SizeLimit.maxExpansion + HDF5SizeLimit.allowance
    #expect(throws: Never.self) { try HDF5SizeLimit.checkDeclared(bound, stored: stored, file: file, path: "d") }
    #expect(throws: HDF5Error.self) { try HDF5SizeLimit.checkDeclared(bound + 1, stored: stored, file: file, path: "d") }
    #expect(throws: HDF5Error.self) { try HDF5SizeLimit.checkDeclared(Int.max, stored: Int.max, file: file, path: "d") }
}
