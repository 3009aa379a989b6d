/// One fine-tuning stage as the report shows it.
public struct FineTuneStageRecord: Sendable, Codable, Equatable {
    /// The unfrozen blocks, first to last.
    public var blocks: [String]
    /// The value the frozen part hands over, and its shape per image.
    public var boundary: String
    public var boundaryShape: [Int]
    /// Nodes that run live in every step (forward and backward).
    public var liveNodes: Int
    public var trainableParameters: Int
    /// Boundary activations (all views) taken from the cache and computed.
    public var activationsFromCache: Int
    public var activationsComputed: Int
    public var activationSeconds: Double
    public var epochs: [EpochRecord]
    /// 1-based epoch whose weights were kept (0: the stage's starting weights).
    public var bestEpoch: Int
    public var stopReason: String?
    public var trainSeconds: Double
}
