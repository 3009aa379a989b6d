import Foundation
import GraphIR

/// A run of consecutive nodes (graph order) that freezing treats as one unit.
public struct Block: Sendable, Equatable, Encodable {
    public var name: String
    public var firstNode: String
    public var lastNode: String
    /// Nodes in graph order.
    public var nodes: [String]
    /// Elements of the weights the block's nodes read first (statistics not counted).
    public var parameters: Int

    private enum CodingKeys: String, CodingKey { case name, firstNode, lastNode, parameters }
}

/// Splits a graph into blocks for `Freeze`'s "train the last K blocks".
///
/// - Keras models whose layers are named `block_<n>_…` (MobileNetV2's
///   `block_16_project`): one block per number, named `block_<n>`.
/// - Otherwise: the spans between residual merges, an `add` whose two operands
///   are both computed (not a bias add); each span ends with its merge and is
///   named `block_<k>` by position.
///
/// In both cases the nodes before the first block form `stem`, nodes after the
/// last block (e.g. MobileNetV2's `Conv_1`, the final pooling) belong to the last
/// block, and the classification head (`HeadDetector`) is a block of its own,
/// `head`, always last. A weight belongs to the block of the first node reading it.
public enum BlockFinder {
    public static func blocks(in graph: Graph) -> [Block] {
        let headNodes = Set(HeadDetector.detect(in: graph)?.nodes ?? [])
        let body = graph.nodes.indices.filter { !headNodes.contains(graph.nodes[$0].name) }
        let usesKerasNames = body.contains { kerasBlock(of: graph.nodes[$0]) != nil }

        var groups: [(name: String, nodes: [Int])] = []
        var current = "stem"
        var residualCount = 0
        var closeAfterThis = false
        for index in body {
            let node = graph.nodes[index]
            if usesKerasNames {
                if let key = kerasBlock(of: node) { current = key }
            } else if closeAfterThis {
                current = "block_\(residualCount)"
                closeAfterThis = false
            }
            if let last = groups.last, last.name == current {
                groups[groups.count - 1].nodes.append(index)
            } else {
                groups.append((current, [index]))
            }
            if !usesKerasNames, isResidualMerge(node, in: graph) {
                residualCount += 1
                closeAfterThis = true
            }
        }
        if !usesKerasNames, groups.count > 1, let last = groups.last, groups[groups.count - 2].name == "block_\(residualCount - 1)" {
            // Nodes after the last merge join the last block.
            groups.removeLast()
            groups[groups.count - 1].nodes += last.nodes
        }
        let headIndices = graph.nodes.indices.filter { headNodes.contains(graph.nodes[$0].name) }
        if !headIndices.isEmpty { groups.append(("head", headIndices)) }

        var counted = Set<String>()
        return groups.map { group in
            var parameters = 0
            for i in group.nodes {
                for input in graph.nodes[i].inputs {
                    guard let p = graph.parameters[input], p.role == .weight, p.countsAsParameter,
                          counted.insert(input).inserted else { continue }
                    parameters += p.tensor.elementCount
                }
            }
            let names = group.nodes.map { graph.nodes[$0].name }
            return Block(name: group.name, firstNode: names.first!, lastNode: names.last!, nodes: names, parameters: parameters)
        }
    }

    /// `block_<n>` from a layer path whose last component starts with `block_<n>_`.
    static func kerasBlock(of node: Node) -> String? {
        guard let layer = node.layer else { return nil }
        let last = NodeLookup.lastComponent(layer)
        guard last.hasPrefix("block_") else { return nil }
        let digits = last.dropFirst("block_".count).prefix { $0.isNumber }
        guard !digits.isEmpty, last.dropFirst("block_".count + digits.count).hasPrefix("_") else { return nil }
        return "block_\(digits)"
    }

    /// An `add` joining two computed paths.
    static func isResidualMerge(_ node: Node, in graph: Graph) -> Bool {
        guard case .add = node.op, node.inputs.count == 2 else { return false }
        return node.inputs.allSatisfy { graph.producer(of: $0) != nil }
    }
}
