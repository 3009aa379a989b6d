import Foundation
import Testing
@testable import Training

private func blobs(_ n: Int, classes: Int, width: Int = 6, seed: UInt64) -> LabeledFeatures {
    var r = SeededRandom(seed: seed)
    var values: [Double] = [], labels: [Int] = []
    for i in 0..<n {
        let c = i % classes
        labels.append(c)
        for d in 0..<width { values.append((d % classes == c ? 1.5 : 0) + (2 * r.nextUnit() - 1)) }
    }
    return LabeledFeatures(values: values, width: width, labels: labels)
}

/// Stopping after any mini-batch, writing the checkpoint, reading it back and
/// continuing gives the same bits as a run that never stopped.
@Test(arguments: [3, 7, 10, 14])
func aRunStoppedAnywhereAndResumedFromItsCheckpointIsBitIdentical(stopAfterBatch: Int) throws {
    var o = TrainingOptions()
    o.epochs = 5; o.hidden = 5; o.dropout = 0.25; o.seed = 9; o.batchSize = 8
    o.optimizer = .adamw; o.weightDecay = 1e-3; o.schedule = .cosine; o.warmupEpochs = 1
    let train = blobs(27, classes: 3, seed: 1), validation = blobs(12, classes: 3, seed: 2)
    let whole = Trainer.train(train, validation: validation, classes: 3, options: o)

    var batches = 0
    var checkpoints = 0
    let stopped = Trainer.train(train, validation: validation, classes: 3, options: o,
                                shouldStop: { batches += 1; return batches >= stopAfterBatch },
                                checkpoint: { _ in checkpoints += 1 })
    let state = try #require(stopped.interruptedState)
    #expect(checkpoints == state.epochsDone)
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("graft-resume-\(UUID().uuidString).checkpoint")
    defer { try? FileManager.default.removeItem(at: file) }
    let saved = TrainingCheckpoint(modelDigest: "m", preprocessingDigest: "p", splitDigest: "s", classNames: ["a", "b", "c"], options: o, state: state)
    try saved.write(to: file)
    let read = try TrainingCheckpoint.read(from: file)
    #expect(read == saved, "the checkpoint reads back to the same bits")
    #expect(read.mismatch(with: saved) == nil)

    let resumed = Trainer.train(train, validation: validation, classes: 3, options: o, resume: read.state)
    #expect(resumed.interruptedState == nil)
    #expect(resumed.head == whole.head)
    #expect(resumed.bestEpoch == whole.bestEpoch)
    #expect(resumed.history.map(\.trainLoss) == whole.history.map(\.trainLoss))
    #expect(resumed.history.map(\.validationLoss) == whole.history.map(\.validationLoss))
}

@Test func aCheckpointOfOtherOptionsOrDataIsRefusedWithAReason() throws {
    var o = TrainingOptions()
    o.epochs = 2
    let r = Trainer.train(blobs(10, classes: 2, seed: 1), validation: nil, classes: 2, options: o, shouldStop: { true })
    let state = try #require(r.interruptedState)
    let a = TrainingCheckpoint(modelDigest: "m", preprocessingDigest: "p", splitDigest: "s", classNames: ["x", "y"], options: o, state: state)
    var b = a
    b.options.learningRate = 0.5
    #expect(a.mismatch(with: b)?.contains("options differ") == true)
    b = a; b.modelDigest = "other"
    #expect(a.mismatch(with: b)?.contains("different model") == true)
    b = a; b.splitDigest = "other"
    #expect(a.mismatch(with: b)?.contains("images differ") == true)
    let missing = FileManager.default.temporaryDirectory.appendingPathComponent("graft-none-\(UUID().uuidString)")
    #expect(throws: TrainingError.self) { try TrainingCheckpoint.read(from: missing) }
}
