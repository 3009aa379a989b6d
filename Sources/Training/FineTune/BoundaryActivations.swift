/// The activations at a block boundary that the frozen part computed (or the cache held):
/// the inputs of every fine-tuning step.
public struct BoundaryActivations: Sendable {
    /// One sample's shape without the batch dimension, e.g. `[160, 5, 5]`.
    public var sampleShape: [Int]
    /// Per training image its views: view 0 is the plain image, the rest augmented.
    public var train: [[[Float]]]
    /// Per validation image (never augmented).
    public var validation: [[Float]]

    public init(sampleShape: [Int], train: [[[Float]]], validation: [[Float]]) {
        self.sampleShape = sampleShape
        self.train = train
        self.validation = validation
    }

    var sampleSize: Int { sampleShape.reduce(1, *) }
}
