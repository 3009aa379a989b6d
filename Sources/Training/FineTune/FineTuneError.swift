/// Why fine-tuning cannot start or had to stop.
public enum FineTuneError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooManyBlocks(asked: Int, available: [String])
    case crossingValues(block: String, values: [String])
    case noTrainableWeights(blocks: [String])

    public var description: String {
        switch self {
        case let .tooManyBlocks(asked, available):
            "cannot fine-tune \(asked) block(s): the backbone has \(available.count) (\(Self.list(available))); "
                + "give --fine-tune-blocks between 1 and \(available.count)"
        case let .crossingValues(block, values):
            "cannot start fine-tuning at \(block): \(values.count) values enter the unfrozen blocks "
                + "(\(Self.list(values))), the frozen part must hand over exactly one; choose another --fine-tune-blocks"
        case let .noTrainableWeights(blocks):
            "the blocks \(Self.list(blocks)) have no weights to train"
        }
    }

    private static func list(_ names: [String]) -> String {
        names.count <= 6 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + ", …, " + names.suffix(2).joined(separator: ", ")
    }
}
