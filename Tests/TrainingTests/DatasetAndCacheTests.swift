import Foundation
import HDF5Support
import TensorCore
import Testing
import TestSupport
@testable import Training

private func tempFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-training-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

private func touch(_ dir: URL, _ path: String) throws {
    let url = dir.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data([1, 2, 3]).write(to: url)
}

@Test func imageFolderSortsClassesAndIgnoresOtherFiles() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    for f in ["dog/b.JPG", "dog/a.png", "cat/x.jpeg", "cat/notes.txt", "cat/.hidden.png", ".git/x.png"] { try touch(dir, f) }
    let folder = try ImageFolder(scanning: dir)
    #expect(folder.classNames == ["cat", "dog"])
    #expect(folder.images.map { $0.url.lastPathComponent } == ["x.jpeg", "a.png", "b.JPG"])
    #expect(folder.images.map(\.label) == [0, 1, 1])
    #expect(folder.validation == nil)
}

@Test func trainAndValFoldersAreUsedAsGiven() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    for f in ["train/a/1.png", "train/b/2.png", "val/a/3.png"] { try touch(dir, f) }
    let folder = try ImageFolder(scanning: dir)
    #expect(folder.classNames == ["a", "b"])
    #expect(folder.images.count == 2 && folder.validation?.count == 1)
}

@Test func badFoldersAreClearErrors() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try touch(dir, "only/1.png")
    #expect(throws: TrainingError.tooFewClasses(path: dir.path, found: ["only"])) { try ImageFolder(scanning: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
    #expect(throws: TrainingError.emptyClass(name: "empty", path: dir.appendingPathComponent("empty").path)) {
        try ImageFolder(scanning: dir)
    }
    #expect(throws: TrainingError.notAFolder(path: dir.path + "/missing")) { try ImageFolder(scanning: dir.appendingPathComponent("missing")) }
}

@Test func featureCacheRoundTripsAndIgnoresAnotherModel() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cache = FeatureCache(directory: dir.appendingPathComponent("features"), modelDigest: "m1", preprocessingDigest: "p1")
    #expect(cache.load().isEmpty)
    let rows: [String: [Float]] = ["aaa": [1, 2, 3], "bbb": [4, 5, 6]]
    try cache.store(rows)
    #expect(cache.load() == rows)
    // A file that claims another model is not used.
    let other = FeatureCache(directory: cache.directory, modelDigest: "m2", preprocessingDigest: "p1")
    #expect(other.load().isEmpty)
    // A damaged file is a cache miss, not an error.
    try Data("not hdf5".utf8).write(to: cache.file)
    #expect(cache.load().isEmpty)
    // No temporary files are left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
}

/// Ways a cache file can be damaged; `read` must refuse each one with its reason.
enum CacheDamage: String, CaseIterable, Sendable {
    case truncated, garbage, flippedFeatureByte, unsealedHDF5, sealedOtherLayout

    func apply(to url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        switch self {
        case .truncated: bytes = Array(bytes.prefix(bytes.count / 2))
        case .garbage:
            var generator = SeededGenerator(seed: 7)
            bytes = bytes.map { _ in UInt8.random(in: 0...255, using: &generator) }
        case .flippedFeatureByte:
            // libhdf5 reads a changed float without complaint: only the seal notices.
            let value = withUnsafeBytes(of: Float(1234.5).bitPattern.littleEndian, Array.init)
            let at = try #require((0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == value })
            bytes[at + 3] ^= 0x01
        case .unsealedHDF5, .sealedOtherLayout:
            try FileManager.default.removeItem(at: url)
            do {
                let h5 = try HDF5File.create(url, userBlock: self == .sealedOtherLayout ? FeatureCache.sealSize : 0)
                try h5.root().writeFloat32Dataset("features", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
            }
            if self == .sealedOtherLayout { try FeatureCache.seal(url) }
            return
        }
        try Data(bytes).write(to: url)
    }

    var reason: String {
        switch self {
        case .truncated: "truncated or overwritten"
        case .garbage, .unsealedHDF5: "no Graft seal"
        case .flippedFeatureByte: "do not match the digest"
        case .sealedOtherLayout: "graft_cache_version"
        }
    }
}

@Test(arguments: CacheDamage.allCases)
func damagedCacheFileIsAMissAndIsRewrittenWhole(_ damage: CacheDamage) throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cache = FeatureCache(directory: dir, modelDigest: "m", preprocessingDigest: "p")
    let rows: [String: [Float]] = ["aaa": [1234.5, 2, 3], "bbb": [4, 5, 6]]
    try cache.store(rows)
    #expect(try cache.read() == rows)
    try damage.apply(to: cache.file)

    do {
        _ = try cache.read()
        Issue.record("\(damage): the damaged cache was read")
    } catch {
        guard case let .cacheUnusable(path, reason) = error else { Issue.record("\(damage): \(error)"); return }
        #expect(path == cache.file.path)
        #expect(reason.contains(damage.reason), "\(damage): \(reason)")
        #expect(error.description.hasSuffix("it will be rebuilt"))
    }
    #expect(cache.load().isEmpty)
    let fresh: [String: [Float]] = ["ccc": [7, 8, 9]]
    try cache.merge(fresh)
    #expect(try cache.read() == fresh)
}

@Test func concurrentWritersNeverCorruptTheCache() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cache = FeatureCache(directory: dir, modelDigest: "m", preprocessingDigest: "p")
    DispatchQueue.concurrentPerform(iterations: 8) { i in
        let rows = Dictionary(uniqueKeysWithValues: (0..<50).map { ("img\($0)", [Float](repeating: Float(i), count: 16)) })
        try? cache.store(rows)
    }
    let loaded = cache.load()
    #expect(loaded.count == 50)
    // Every row comes from one writer: a file is never a mix.
    #expect(Set(loaded.values.map { $0[0] }).count == 1)
}
