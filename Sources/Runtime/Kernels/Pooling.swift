/// Max and average pooling over NHWC values, vectorised over channels.
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, C]`; `outChannels ==
/// channels` in the geometry. Windows that run past the padded input (ceil
/// mode) only see real cells. Max pooling propagates NaN.
struct Pool2DKernel: Kernel {
    enum Kind: Sendable { case max, average(countIncludePad: Bool) }
    let kind: Kind
    let g: ConvGeometry

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0], c = g.channels
        Parallel.forRanges(g.batch * g.outHeight, work: g.outputPixels * c * g.kernelH * g.kernelW) { rows in
            for row in rows {
                let b = row / g.outHeight, oy = row % g.outHeight
                for ox in 0..<g.outWidth {
                    let dst = output + (row * g.outWidth + ox) * c
                    let y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft
                    let yLo = max(y0, 0), yHi = min(y0 + g.kernelH, g.height)
                    let xLo = max(x0, 0), xHi = min(x0 + g.kernelW, g.width)
                    switch kind {
                    case .max:
                        dst.update(repeating: -.infinity, count: c)
                        for iy in yLo..<max(yHi, yLo) {
                            for ix in xLo..<max(xHi, xLo) {
                                let src = x + ((b * g.height + iy) * g.width + ix) * c
                                for ch in 0..<c {
                                    let v = src[ch], m = dst[ch]
                                    if v > m || v != v { if m == m { dst[ch] = v } }
                                }
                            }
                        }
                    case .average(let includePad):
                        dst.update(repeating: 0, count: c)
                        for iy in yLo..<max(yHi, yLo) {
                            for ix in xLo..<max(xHi, xLo) {
                                let src = x + ((b * g.height + iy) * g.width + ix) * c
                                for ch in 0..<c { dst[ch] += src[ch] }
                            }
                        }
                        let cells: Int
                        if includePad {
                            // Padded cells count; cells past the pads (ceil mode) do not.
                            let h = min(y0 + g.kernelH, g.height + g.padBottom) - max(y0, -g.padTop)
                            let w = min(x0 + g.kernelW, g.width + g.padRight) - max(x0, -g.padLeft)
                            cells = h * w
                        } else {
                            cells = max(yHi - yLo, 0) * max(xHi - xLo, 0)
                        }
                        let scale = 1 / Float(max(cells, 1))
                        for ch in 0..<c { dst[ch] *= scale }
                    }
                }
            }
        }
    }
}

/// Mean over H and W: NHWC input `[N, H, W, C]` to `[N, C]` (which is also
/// the NHWC storage of `[N, C, 1, 1]`).
struct GlobalAveragePoolKernel: Kernel {
    let batch: Int, pixels: Int, channels: Int

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0], c = channels
        let scale = 1 / Float(pixels)
        Parallel.forRanges(batch, work: batch * pixels * c) { images in
            for b in images {
                let dst = output + b * c
                dst.update(repeating: 0, count: c)
                for p in 0..<pixels {
                    let src = x + (b * pixels + p) * c
                    for ch in 0..<c { dst[ch] += src[ch] }
                }
                for ch in 0..<c { dst[ch] *= scale }
            }
        }
    }
}
