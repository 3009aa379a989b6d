import TensorCore

/// The generator of shuffles, dropout masks and splits: SplitMix64, as `GlorotUniform`
/// draws the initial weights, so runs repeat bit for bit. Its JSON (`{"state": …}`) is
/// what checkpoints store.
public typealias SeededRandom = SplitMix64
