/// Everything `Trainer.train` needs to continue a run exactly where it stopped:
/// the weights, the optimizer's moments, the random streams, the position inside
/// the current epoch and the best weights so far. A run continued from a state
/// gives bit-identical weights to one that never stopped.
public struct TrainingState: Sendable, Codable, Equatable {
    public var head: DenseHead
    /// The first-order optimizer and its moments (nil with `.lbfgs`).
    public var optimizer: Optimizer?
    public var shuffleRandom: SeededRandom
    public var dropoutRandom: SeededRandom?
    /// The training-row order of the current epoch (shuffled in place every epoch).
    public var order: [Int]
    /// Epochs completed.
    public var epochsDone: Int
    /// Mini-batches done in the epoch in progress (0: the epoch has not started).
    public var batchesDone: Int
    /// The epoch in progress' summed loss over its done mini-batches.
    public var partialLossSum: Double
    /// Optimizer steps done (the schedule's position).
    public var step: Int
    public var best: DenseHead
    public var bestEpoch: Int
    public var bestLoss: Double
    /// Epochs since the last improvement.
    public var stale: Int
    public var history: [EpochRecord]
    /// With augmented views: the stream that picks each sample's view, and this epoch's
    /// picks (`viewOf[i]`: 0 plain, 1…V augmented). nil without views (and in checkpoints
    /// written before views existed, which therefore still read).
    public var viewRandom: SeededRandom? = nil
    public var viewOf: [Int]? = nil
    /// With `.lbfgs`: the solver (its point, in `LinearHeadProblem`'s standardised
    /// coordinates, and its correction pairs). nil for first-order runs.
    public var solver: LBFGS? = nil

    public init(head: DenseHead, optimizer: Optimizer?, shuffleRandom: SeededRandom, dropoutRandom: SeededRandom?,
                order: [Int], bestLoss: Double) {
        self.head = head
        self.optimizer = optimizer
        self.shuffleRandom = shuffleRandom
        self.dropoutRandom = dropoutRandom
        self.order = order
        epochsDone = 0
        batchesDone = 0
        partialLossSum = 0
        step = 0
        best = head
        bestEpoch = 0
        self.bestLoss = bestLoss
        stale = 0
        history = []
    }
}
