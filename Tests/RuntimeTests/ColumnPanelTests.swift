import Testing
@testable import Runtime
import TestSupport

/// Pointwise convolutions of few rows keep their weights in column panels, one per
/// small-matrix GEMM call (`Conv2DKernel.panels`).
@Suite struct ColumnPanelTests {
    @Test func panelsCoverTheColumnsOncePerCoreAndPackTheirWeightsBackToBack() {
        // MobileNetV2's block_16_project at batch 1 on two cores.
        let panels = ColumnPanel.split(columns: 320, parts: 2, rows: 25, k: 960)
        #expect(panels.map(\.width).reduce(0, +) == 320)
        #expect(panels.allSatisfy { $0.width <= ColumnPanel.maxWidth && $0.width >= 16 && $0.column % 16 == 0 })
        var column = 0, offset = 0
        for panel in panels {
            #expect(panel.column == column && panel.offset == offset)
            #expect(panel.part == (panel.column < 160 ? 0 : 1))
            column += panel.width
            offset += panel.width * 960
        }
        // A share narrower than a panel, and one that is not a multiple of 16.
        #expect(ColumnPanel.split(columns: 40, parts: 2, rows: 25, k: 960).map(\.width) == [16, 24])
    }

    /// The kernel on its panels, on the cores and on one (a plan run by a serial caller),
    /// against the product by hand: bias, residual and ReLU6 included.
    @Test(arguments: [false, true])
    func pointwiseConvolutionOnPanelsEqualsTheSumByHand(residual: Bool) throws {
        let (pixels, c, o) = (25, 96, 200)
        let g = ConvGeometry(batch: 1, height: 5, width: 5, channels: c, outChannels: o, outHeight: 5, outWidth: 5,
                             kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
                             padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, group: 1)
        var random = SeededGenerator(seed: 11)
        let weight = (0..<(o * c)).map { _ in Float.random(in: -1...1, using: &random) }
        let bias = (0..<o).map { _ in Float.random(in: -1...1, using: &random) }
        var x = (0..<(pixels * c)).map { _ in Float.random(in: -1...1, using: &random) }
        var r = (0..<(pixels * o)).map { _ in Float.random(in: -1...1, using: &random) }
        let kernel = Conv2DKernel(geometry: g, weightOIHW: weight, bias: bias, activation: .clip(min: 0, max: 6),
                                  scratch: ScratchArena())
        try #require(Parallel.cores == 1 || kernel.panels.count == Parallel.cores, "the kernel did not plan panels")

        var want = [Float](repeating: 0, count: pixels * o)
        for p in 0..<pixels {
            for j in 0..<o {
                var sum = Double(bias[j]) + (residual ? Double(r[p * o + j]) : 0)
                for i in 0..<c { sum += Double(x[p * c + i]) * Double(weight[j * c + i]) }
                want[p * o + j] = Float(min(max(sum, 0), 6))
            }
        }
        for serial in [false, true] {
            var y = [Float](repeating: .nan, count: pixels * o)
            x.withUnsafeMutableBufferPointer { xp in
                r.withUnsafeMutableBufferPointer { rp in
                    y.withUnsafeMutableBufferPointer { yp in
                        let inputs = residual ? [xp.baseAddress!, rp.baseAddress!] : [xp.baseAddress!]
                        if serial { Parallel.serially { kernel.run(inputs, yp.baseAddress!) } }
                        else { kernel.run(inputs, yp.baseAddress!) }
                    }
                }
            }
            let worst = zip(want, y).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "serial \(serial): largest error \(worst)")
        }
    }
}
