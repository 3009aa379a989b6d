import Backprop

/// How `graft train --fine-tune-blocks` trains the last blocks after the head.
public struct FineTuneOptions: Sendable, Codable, Equatable {
    /// Blocks unfrozen in each stage, e.g. `[1, 2, 4]`: the last block, then the last two, then four.
    /// One stage `[K]` is `--fine-tune-blocks K`.
    public var stages: [Int]
    /// Epochs of each stage.
    public var epochs = 5
    /// The rate of the last block and the head (Keras' guide: 1e-5 with Adam).
    public var learningRate = 1e-5
    /// Each block deeper into the backbone gets this factor of the rate of the block after it (1: one rate).
    public var lrDecayPerBlock = 1.0
    public var batchNorm = BatchNormMode.frozen
    /// Keras' convention: moving = momentum · moving + (1 − momentum) · batch (`--bn train`).
    public var batchNormMomentum = 0.99

    public init(stages: [Int]) {
        self.stages = stages
    }
}
