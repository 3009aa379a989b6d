import GraphIR
import Surgery

/// Where the trainable part of a backbone starts when its last `count` blocks are unfrozen.
public struct BlockBoundary: Sendable, Equatable {
    /// The value entering the first unfrozen block: computed once (and cached) by the frozen part.
    public var value: String
    /// The unfrozen blocks, first to last.
    public var blocks: [Block]

    /// Nodes of the unfrozen blocks.
    public var nodes: Set<String> { Set(blocks.flatMap(\.nodes)) }

    /// The boundary of the last `count` blocks of `backbone` (a graph cut at its head, so
    /// `BlockFinder` sees no head block). Blocks are `BlockFinder`'s; the stem is never unfrozen.
    public static func lastBlocks(_ count: Int, of backbone: Graph) throws -> BlockBoundary {
        let blocks = BlockFinder.blocks(in: backbone).filter { $0.name != "stem" && $0.name != "head" }
        guard count >= 1, count <= blocks.count else {
            throw FineTuneError.tooManyBlocks(asked: count, available: blocks.map(\.name))
        }
        let chosen = Array(blocks.suffix(count))
        let inside = Set(chosen.flatMap(\.nodes))
        // Values the chosen blocks read that come from outside them (not weights).
        var entering: [String] = []
        for node in backbone.nodes where inside.contains(node.name) {
            for input in node.inputs where !input.isEmpty && backbone.parameters[input] == nil {
                let producer = backbone.producer(of: input).map { backbone.nodes[$0].name }
                if producer.map({ !inside.contains($0) }) ?? true, !entering.contains(input) { entering.append(input) }
            }
        }
        guard entering.count == 1, let value = entering.first else {
            throw FineTuneError.crossingValues(block: chosen[0].name, values: entering)
        }
        return BlockBoundary(value: value, blocks: chosen)
    }
}
