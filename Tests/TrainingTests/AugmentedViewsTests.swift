import Foundation
import GraphIR
import ImageData
import TensorCore
import Testing
import TestSupport
@testable import Training

private func tempFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-views-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// x[N, 3, 8, 8] → Conv 1×1 (3 → 2 channels, weights `w`) → y[N, 2, 8, 8]: a "prefix"
/// whose output is a block boundary, not pooled features.
private func prefix(_ w: [Float] = [1, 0.5, -1, 0, 2, 1]) throws -> Graph {
    var g = Graph(name: "prefix", inputs: [GraphInput(name: "x", type: ValueType(.float32, Shape([.symbol("N"), 3, 8, 8])))],
                  outputs: ["y"],
                  nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: ["x", "w"], outputs: ["y"])],
                  parameters: ["w": Parameter(Tensor(shape: [2, 3, 1, 1], scalars: w), role: .weight, trainable: false)])
    try g.sortTopologically()
    try ShapeInference.infer(&g)
    return g
}

private func extractor(_ graph: Graph) -> FeatureExtractor {
    FeatureExtractor(backbone: graph, inputName: "x", preprocessing: Preprocessing(size: [8, 8], mean: [0], std: [255]), batchSize: 3)
}

private let images = ["rgb8.png", "palette8.png", "gray8.png", "rgba8.png"].map {
    Fixtures.repoFile("Tests/ImageDataTests/Fixtures/png/\($0)")
}

@Test func blockBoundaryActivationsComeBackFlattenedWithTheirShape() throws {
    let r = try extractor(try prefix()).extract(images, cacheDirectory: nil, progressLabel: nil)
    #expect(r.sampleShape == [2, 8, 8])
    #expect(r.width == 128)
    #expect(r.features.allSatisfy { $0?.count == 128 })
    #expect(r.views.isEmpty && r.viewsComputed == 0)
    #expect(r.computed == 4 && r.fromCache == 0)
}

@Test func augmentedViewsAreCachedUnderTheirOwnKeysAndPlainRowsStayShared() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let e = extractor(try prefix())
    // A plain run fills the plain file.
    let plain = try e.extract(images, cacheDirectory: dir, progressLabel: nil)
    #expect(plain.computed == 4)
    // With views: the plain rows come from that file, the views are computed …
    let first = try e.extract(images, cacheDirectory: dir, progressLabel: nil, views: 3, seed: 5)
    #expect(first.fromCache == 4 && first.computed == 0)
    #expect(first.viewsFromCache == 0 && first.viewsComputed == 12)
    #expect(first.plainFromCache == [true, true, true, true])
    #expect(first.features.map { $0! } == plain.features.map { $0! })
    let views = try #require(first.views.first ?? nil)
    #expect(views.count == 3 && views.allSatisfy { $0.count == 128 })
    #expect(Set(views + [first.features[0]!]).count == 4, "every view differs from the others and the plain row")
    // … and a second run reads everything, the same bits.
    let second = try e.extract(images, cacheDirectory: dir, progressLabel: nil, views: 3, seed: 5)
    #expect(second.fromCache == 4 && second.viewsFromCache == 12 && second.computed == 0 && second.viewsComputed == 0)
    #expect(second.views.map { $0! } == first.views.map { $0! })
    // Without a cache the views are recomputed to the same bits: the seeds depend only on (seed, image, view).
    let uncached = try e.extract(images, cacheDirectory: nil, progressLabel: nil, views: 3, seed: 5)
    #expect(uncached.views.map { $0! } == first.views.map { $0! })
    // Another seed or another augmentation is another key.
    let otherSeed = try e.extract(images, cacheDirectory: dir, progressLabel: nil, views: 3, seed: 6)
    #expect(otherSeed.viewsComputed == 12 && otherSeed.fromCache == 4)
    let otherAugmentation = try e.extract(images, cacheDirectory: dir, progressLabel: nil, views: 3,
                                          augmentation: Augmentation(flip: false), seed: 5)
    #expect(otherAugmentation.viewsComputed == 12)
    // The plain file holds plain rows only.
    let d = e.digests
    #expect(FeatureCache(directory: dir, modelDigest: d.model, preprocessingDigest: d.preprocessing).load().count == 4)
    #expect(FeatureCache(directory: dir, modelDigest: d.model, preprocessingDigest: d.preprocessing, part: "views").load().count == 36)
}

@Test func plainRowsPassedInAreNeitherReadNorComputed() throws {
    let e = extractor(try prefix())
    let plain = try e.extract(images, cacheDirectory: nil, progressLabel: nil)
    let r = try e.extract(images, cacheDirectory: nil, progressLabel: nil, views: 2, seed: 1, plain: plain.features)
    #expect(r.fromCache == 0 && r.computed == 0 && r.viewsComputed == 8)
    #expect(r.features.map { $0! } == plain.features.map { $0! })
}

/// When a block becomes trainable the frozen prefix is a different graph: its digest
/// differs, so none of the old entries is read ("invalidated automatically").
@Test func aChangedPrefixGraphMissesTheCache() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let before = extractor(try prefix())
    _ = try before.extract(images, cacheDirectory: dir, progressLabel: nil, views: 2, seed: 1)
    let again = try before.extract(images, cacheDirectory: dir, progressLabel: nil, views: 2, seed: 1)
    #expect(again.fromCache == 4 && again.viewsFromCache == 8)
    let after = extractor(try prefix([1, 0.5, -1, 0, 2, 1.5]))
    #expect(after.digests.model != before.digests.model)
    let moved = try after.extract(images, cacheDirectory: dir, progressLabel: nil, views: 2, seed: 1)
    #expect(moved.fromCache == 0 && moved.viewsFromCache == 0 && moved.computed == 4 && moved.viewsComputed == 8)
}

@Test func twoConcurrentRunsWithViewsLeaveAReadableCompleteCache() throws {
    let dir = try tempFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    DispatchQueue.concurrentPerform(iterations: 2) { _ in
        _ = try? extractor(try prefix()).extract(images, cacheDirectory: dir, progressLabel: nil, views: 2, seed: 3)
    }
    let r = try extractor(try prefix()).extract(images, cacheDirectory: dir, progressLabel: nil, views: 2, seed: 3)
    #expect(r.fromCache == 4 && r.viewsFromCache == 8)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
}

/// Two blobs in `width` dimensions with `views` jittered copies of every sample.
private func blobsWithViews(_ n: Int, views: Int, width: Int = 6, seed: UInt64) -> LabeledFeatures {
    var r = SeededRandom(seed: seed)
    var values: [Double] = [], augmented: [Double] = [], labels: [Int] = []
    for i in 0..<n {
        let c = i % 2
        labels.append(c)
        let row = (0..<width).map { d in (d % 2 == c ? 1.5 : 0) + (2 * r.nextUnit() - 1) }
        values += row
        for _ in 0..<views { augmented += row.map { $0 + 0.3 * (2 * r.nextUnit() - 1) } }
    }
    return LabeledFeatures(values: values, width: width, labels: labels, augmented: augmented, views: views)
}

@Test func withoutViewsTrainingIsBitIdenticalToPlainFeatures() {
    var o = TrainingOptions()
    o.optimizer = .adam; o.epochs = 4; o.hidden = 5; o.dropout = 0.2; o.seed = 11; o.batchSize = 5
    let data = blobsWithViews(30, views: 2, seed: 1)
    let plain = LabeledFeatures(values: data.values, width: data.width, labels: data.labels)
    let noViews = LabeledFeatures(values: data.values, width: data.width, labels: data.labels, augmented: [], views: 0)
    let a = Trainer.train(plain, validation: nil, classes: 2, options: o)
    let b = Trainer.train(noViews, validation: nil, classes: 2, options: o)
    #expect(a.head == b.head)
    #expect(a.history.map(\.trainLoss) == b.history.map(\.trainLoss))
    var state: TrainingState?
    _ = Trainer.train(plain, validation: nil, classes: 2, options: o, checkpoint: { state = $0 })
    #expect(state?.viewRandom == nil && state?.viewOf == nil)
    // With views the run differs (it trains on other rows).
    let c = Trainer.train(data, validation: nil, classes: 2, options: o)
    #expect(c.head != a.head)
}

@Test func theViewPickedPerEpochAndSampleIsSeededAndEveryViewIsUsed() throws {
    var o = TrainingOptions()
    o.optimizer = .adam; o.epochs = 6; o.seed = 3; o.batchSize = 8
    let train = blobsWithViews(40, views: 3, seed: 2), validation = blobsWithViews(10, views: 0, seed: 4)
    var picks: [[Int]] = []
    let a = Trainer.train(train, validation: validation, classes: 2, options: o, checkpoint: { picks.append($0.viewOf ?? []) })
    let b = Trainer.train(train, validation: validation, classes: 2, options: o)
    #expect(a.head == b.head)
    #expect(a.history.map(\.trainLoss) == b.history.map(\.trainLoss))
    #expect(picks.count == 5 && picks.allSatisfy { $0.count == 40 })
    #expect(Set(picks.flatMap { $0 }) == [0, 1, 2, 3])
    #expect(picks[0] != picks[1], "each epoch draws again")
    // Validation and the accuracies use the plain rows only.
    #expect(a.bestEpoch > 0 && a.history[a.bestEpoch - 1].validationAccuracy == Trainer.accuracy(a.head, validation))
    o.seed = 4
    var other: [[Int]] = []
    _ = Trainer.train(train, validation: validation, classes: 2, options: o, checkpoint: { other.append($0.viewOf ?? []) })
    #expect(other[0] != picks[0])
}

@Test(arguments: [2, 9, 13])
func aRunWithViewsStoppedAndResumedFromItsCheckpointIsBitIdentical(stopAfterBatch: Int) throws {
    var o = TrainingOptions()
    o.optimizer = .adam; o.epochs = 4; o.seed = 7; o.batchSize = 6; o.hidden = 4; o.dropout = 0.1
    o.augmentation = Augmentation(); o.augmentViews = 2
    let train = blobsWithViews(25, views: 2, seed: 5)
    let whole = Trainer.train(train, validation: nil, classes: 2, options: o)
    var batches = 0
    let stopped = Trainer.train(train, validation: nil, classes: 2, options: o, shouldStop: { batches += 1; return batches >= stopAfterBatch })
    let state = try #require(stopped.interruptedState)
    let saved = TrainingCheckpoint(modelDigest: "m", preprocessingDigest: "p", splitDigest: "s", classNames: ["a", "b"], options: o, state: state)
    let read = try TrainingCheckpoint.decode(try saved.encoded())
    #expect(read == saved)
    let resumed = Trainer.train(train, validation: nil, classes: 2, options: o, resume: read.state)
    #expect(resumed.head == whole.head)
    #expect(resumed.history.map(\.trainLoss) == whole.history.map(\.trainLoss))
}

@Test func aCheckpointWrittenBeforeViewsExistedStillReads() throws {
    var o = TrainingOptions()
    o.optimizer = .adam; o.epochs = 2
    let r = Trainer.train(blobsWithViews(10, views: 0, seed: 1), validation: nil, classes: 2, options: o, shouldStop: { true })
    let state = try #require(r.interruptedState)
    let saved = TrainingCheckpoint(modelDigest: "m", preprocessingDigest: "p", splitDigest: "s", classNames: ["a", "b"], options: o, state: state)
    // Remove the keys that older checkpoints do not have.
    var json = try #require(try JSONSerialization.jsonObject(with: saved.encoded()) as? [String: Any])
    #expect(json["options"] != nil)
    var stateJSON = try #require(json["state"] as? [String: Any])
    #expect(stateJSON["viewRandom"] == nil && stateJSON["viewOf"] == nil)
    stateJSON.removeValue(forKey: "viewRandom")
    json["state"] = stateJSON
    let back = try TrainingCheckpoint.decode(try JSONSerialization.data(withJSONObject: json))
    #expect(back == saved)
}

@Test func theAugmentationDigestFollowsItsSettings() {
    #expect(Digest.of(Augmentation()) == Digest.of(Augmentation()))
    #expect(Digest.of(Augmentation()) != Digest.of(Augmentation(flip: false)))
    #expect(Digest.of(Augmentation()) != Digest.of(Augmentation(brightness: 0.2)))
    #expect(FeatureExtractor.viewSeed(seed: 1, imageDigest: "a", view: 1) != FeatureExtractor.viewSeed(seed: 1, imageDigest: "a", view: 2))
    #expect(FeatureExtractor.viewSeed(seed: 1, imageDigest: "a", view: 1) != FeatureExtractor.viewSeed(seed: 2, imageDigest: "a", view: 1))
    #expect(FeatureExtractor.viewSeed(seed: 1, imageDigest: "a", view: 1) == FeatureExtractor.viewSeed(seed: 1, imageDigest: "a", view: 1))
}
