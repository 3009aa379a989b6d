import Dispatch
import Foundation
import LinearAlgebra

/// 2-D convolution as GEMM over NHWC activations (any group count).
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, O]` (NHWC storage of the
/// IR's NCHW values). Weights are repacked at plan time from OIHW
/// `[O, C/g, kH, kW]` to one `[kH * kW * C/g, O/g]` matrix per group, so each
/// output pixel is one row of `im2col(x) @ W`. A 1×1 stride-1 unpadded
/// convolution multiplies the input directly (no im2col). Rows are processed
/// in chunks so the columns and the output chunk stay in cache: the chunk is
/// first filled with the bias (+ residual), the GEMM accumulates into it
/// (`beta = 1`), then the activation runs over it. An optional second input is a
/// residual `[N, OH, OW, O]` added before the activation. OpenBLAS threads the GEMM; im2col and the
/// epilogue are split over the cores.
struct Conv2DKernel: Kernel {
    let g: ConvGeometry
    /// Per group, `[K, O/g]` row-major, `K = kH * kW * C/g`; or, with `panels`, the
    /// columns of the one group's `[K, O]` stored panel after panel, each `[K, width]`.
    let weights: FloatBuffer
    /// Column panels of a pointwise convolution whose few rows (a small image at batch 1)
    /// the cores split by output channels: each panel is one small-matrix GEMM call
    /// (`BLAS.smallProduct`), and its weights are contiguous, so the call streams them
    /// from L3 in order instead of reading short pieces of `K` rows `O` floats apart.
    /// Measured alone, one thread, weights not in L2: [25 × 960] · [960 × 160] of a
    /// 320-column matrix 35 → 53 GMAC/s, [25 × 320] · [320 × 640] of 1280 45 → 51.
    /// Indexed by core; empty when the convolution does not split its columns.
    let panels: [[ColumnPanel]]
    let bias: [Float]
    /// The bias repeated for `biasRows` output rows (8 KiB), so the prologue fills many
    /// contiguous rows per copy: one `memmove` per 64-byte row (16 channels) cost more than the copy.
    let biasRows: Int, biasBlock: FloatBuffer
    let activation: Activation
    let scratch: ScratchArena
    let chunkRows: Int
    static let chunkFloats = Int(ProcessInfo.processInfo.environment["GRAFT_CONV_CHUNK"] ?? "") ?? (1 << 18)

    var k: Int { g.kernelH * g.kernelW * (g.channels / g.group) }

    /// `weightOIHW` is `[O, C/g, kH, kW]` row-major; `bias` has `O` values.
    /// With a `cache`, the packed weights are shared under `key` (the node's name).
    init(geometry: ConvGeometry, weightOIHW: [Float], bias: [Float], activation: Activation, scratch: ScratchArena,
         cache: WeightCache = WeightCache(), key: String = "") {
        self.g = geometry
        self.bias = bias
        biasRows = max(1, 2048 / max(1, geometry.outChannels))
        biasBlock = FloatBuffer(Array([[Float]](repeating: bias, count: biasRows).joined()))
        self.activation = activation
        self.scratch = scratch
        let cg = g.channels / g.group, og = g.outChannels / g.group
        let k = g.kernelH * g.kernelW * cg
        let cores = Parallel.cores
        let perCore = (g.outputPixels + cores - 1) / cores
        let splitsColumns = g.isPointwise && g.group == 1 && perCore < 64 && g.outChannels >= 32 && cores > 1
        let panels = splitsColumns ? ColumnPanel.split(columns: g.outChannels, parts: cores, rows: g.outputPixels, k: k) : []
        self.panels = (0..<(panels.isEmpty ? 0 : cores)).map { part in panels.filter { $0.part == part } }
        let shape = "\(g.outChannels) \(cg) \(g.kernelH) \(g.kernelW) \(g.group)"
        let layout = panels.isEmpty ? "" : " panels " + panels.map { "\($0.width)" }.joined(separator: ",")
        weights = cache.buffer("conv \(key) \(shape)\(layout)", source: weightOIHW) {
            if !panels.isEmpty {
                // [O, C] → panel after panel of [C, width].
                var packed = [Float](repeating: 0, count: k * og)
                for panel in panels {
                    for row in 0..<k {
                        for j in 0..<panel.width {
                            packed[panel.offset + row * panel.width + j] = weightOIHW[(panel.column + j) * k + row]
                        }
                    }
                }
                return packed
            }
            var packed = [Float](repeating: 0, count: geometry.group * k * og)
            for o in 0..<geometry.outChannels {
                let group = o / og, ol = o % og
                for ci in 0..<cg {
                    for ky in 0..<geometry.kernelH {
                        for kx in 0..<geometry.kernelW {
                            let src = ((o * cg + ci) * geometry.kernelH + ky) * geometry.kernelW + kx
                            let row = (ky * geometry.kernelW + kx) * cg + ci
                            packed[group * k * og + row * og + ol] = weightOIHW[src]
                        }
                    }
                }
            }
            return packed
        }
        // Chunks of about `chunkFloats` floats of columns or output (cache-sized), at least 64 rows.
        // Row split only when each core gets at least 64 rows; otherwise one chunk, split by channels.
        // The chunk count is a multiple of the cores, so that each core gets as many rows.
        let cacheRows = max(64, Conv2DKernel.chunkFloats / max(k, g.outChannels))
        if perCore >= 64 {
            let chunks = (g.outputPixels + min(cacheRows, perCore) - 1) / min(cacheRows, perCore)
            let balanced = (chunks + cores - 1) / cores * cores
            chunkRows = (g.outputPixels + balanced - 1) / balanced
        } else {
            chunkRows = g.outputPixels
        }
        if !g.isPointwise { scratch.reserve(chunkRows * k * Parallel.cores) }
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        // OpenBLAS stays single-threaded: its idle threads spin and would fight
        // the dispatch workers for the two cores. The cores split the work here.
        BLAS.setThreads(1)
        let rows = g.outputPixels
        let chunks = (rows + chunkRows - 1) / chunkRows
        let cores = Parallel.cores
        if chunks >= cores {
            // Each core takes whole chunks (im2col, GEMM, epilogue), so its
            // columns and output stay in its own cache.
            let base = scratch.pointer
            Parallel.perform(cores) { worker in
                for chunk in (chunks * worker / cores)..<(chunks * (worker + 1) / cores) {
                    let r0 = chunk * chunkRows
                    compute(inputs, output, rows: r0..<min(r0 + chunkRows, rows),
                            columns: base + worker * chunkRows * k, parallel: false)
                }
            }
        } else {
            // Few rows (small images at batch 1): the cores split the output channels.
            compute(inputs, output, rows: 0..<rows, columns: scratch.pointer, parallel: true)
        }
    }

    /// Output rows `rows`: im2col (unless pointwise), one GEMM per group, epilogue.
    /// With `parallel`, the GEMM's output channels and the copies are split over the cores.
    private func compute(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>, rows: Range<Int>,
                         columns: UnsafeMutablePointer<Float>, parallel: Bool) {
        let x = inputs[0]
        let o = g.outChannels, cg = g.channels / g.group, og = o / g.group, k = self.k
        // (Panels planned for another core count run in turn below.)
        if parallel && g.group == 1 && o >= 32 && Parallel.cores > 1 && (panels.isEmpty || panels.count == Parallel.cores) {
            // Few rows, split by output channels: one dispatch does each core's bias fill,
            // GEMM and activation on its column slice.
            let a: UnsafeMutablePointer<Float>
            if g.isPointwise { a = x + rows.lowerBound * g.channels } else {
                im2col(x, rows: rows, channelOffset: 0, into: columns, parallel: true)
                a = columns
            }
            let y = output + rows.lowerBound * o
            let residual = inputs.count > 1 ? inputs[1] + rows.lowerBound * o : nil
            let parts = Parallel.cores
            Parallel.perform(parts) { part in
                let mine = panels.isEmpty ? [] : panels[part]
                let lo = mine.first?.column ?? (o * part / parts) & ~15
                let hi = mine.last.map { $0.column + $0.width } ?? (part == parts - 1 ? o : (o * (part + 1) / parts) & ~15)
                bias.withUnsafeBufferPointer { bias in
                    for r in 0..<rows.count {
                        let row = y + r * o
                        if let residual { for j in lo..<hi { row[j] = residual[r * o + j] + bias[j] } }
                        else { (row + lo).update(from: bias.baseAddress! + lo, count: hi - lo) }
                    }
                }
                if mine.isEmpty {
                    BLAS.sgemm(m: rows.count, n: hi - lo, k: k, a: a, lda: k, b: weights.pointer + lo, ldb: o, beta: 1, c: y + lo, ldc: o)
                }
                for panel in mine {
                    BLAS.sgemm(m: rows.count, n: panel.width, k: k, a: a, lda: k, b: weights.pointer + panel.offset, ldb: panel.width,
                               beta: 1, c: y + panel.column, ldc: o)
                }
                if activation != .none { for r in 0..<rows.count { activation.apply(y + r * o + lo, hi - lo) } }
            }
            return
        }
        prologue(output + rows.lowerBound * o, residual: inputs.count > 1 ? inputs[1] + rows.lowerBound * o : nil,
                 rows: rows.count, parallel: parallel)
        for group in 0..<g.group {
            let a: UnsafeMutablePointer<Float>
            if g.isPointwise {
                a = x + rows.lowerBound * g.channels
            } else {
                im2col(x, rows: rows, channelOffset: group * cg, into: columns, parallel: parallel)
                a = columns
            }
            let b = weights.pointer + group * k * og, c = output + rows.lowerBound * o + group * og
            let parts = parallel && og >= 32 ? Parallel.cores : 1
            if !panels.isEmpty {
                // Planned for the cores, run on one (a caller marked serial): the panels in turn.
                for panel in panels.joined() {
                    BLAS.sgemm(m: rows.count, n: panel.width, k: k, a: a, lda: k, b: weights.pointer + panel.offset,
                               ldb: panel.width, beta: 1, c: c + panel.column, ldc: o)
                }
            } else if parts == 1 {
                BLAS.sgemm(m: rows.count, n: og, k: k, a: a, lda: k, b: b, ldb: og, beta: 1, c: c, ldc: o)
            } else {
                Parallel.perform(parts) { part in
                    // Column slices on 16-float boundaries.
                    let lo = (og * part / parts) & ~15, hi = part == parts - 1 ? og : (og * (part + 1) / parts) & ~15
                    BLAS.sgemm(m: rows.count, n: hi - lo, k: k, a: a, lda: k, b: b + lo, ldb: og, beta: 1, c: c + lo, ldc: o)
                }
            }
        }
        epilogue(output + rows.lowerBound * o, rows: rows.count, parallel: parallel)
    }

    /// Copies the receptive field of each output pixel in `rows` (channels
    /// `channelOffset ..< channelOffset + C/g`) into one row of `[n, K]`; zeros where padded.
    private func im2col(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, channelOffset: Int,
                        into columns: UnsafeMutablePointer<Float>, parallel: Bool) {
        let cg = g.channels / g.group, k = self.k
        let pixels = g.outHeight * g.outWidth
        let contiguousTaps = g.group == 1 && g.dilationW == 1 && g.dilationH == 1
        Parallel.forRanges(rows.count, work: parallel ? rows.count * k : 0) { part in
            for i in part {
                let r = rows.lowerBound + i
                let b = r / pixels, oy = (r % pixels) / g.outWidth, ox = r % g.outWidth
                var dst = columns + i * k
                if contiguousTaps {
                    // One input row's taps are adjacent pixels with all channels: one copy per kernel row.
                    let ix0 = ox * g.strideW - g.padLeft
                    let kxLo = max(0, -ix0), kxHi = min(g.kernelW, g.width - ix0)
                    let rowFloats = g.kernelW * cg
                    for ky in 0..<g.kernelH {
                        let iy = oy * g.strideH - g.padTop + ky
                        if iy < 0 || iy >= g.height || kxLo >= kxHi {
                            for j in 0..<rowFloats { dst[j] = 0 }
                        } else {
                            for j in 0..<(kxLo * cg) { dst[j] = 0 }
                            let src = x + ((b * g.height + iy) * g.width + ix0 + kxLo) * cg
                            let n = (kxHi - kxLo) * cg
                            if n < 32 { for j in 0..<n { dst[kxLo * cg + j] = src[j] } }
                            else { (dst + kxLo * cg).update(from: src, count: n) }
                            for j in (kxHi * cg)..<rowFloats { dst[j] = 0 }
                        }
                        dst += rowFloats
                    }
                    continue
                }
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                            dst.update(from: x + ((b * g.height + iy) * g.width + ix) * g.channels + channelOffset, count: cg)
                        } else {
                            dst.update(repeating: 0, count: cg)
                        }
                        dst += cg
                    }
                }
            }
        }
    }

    /// Writes the bias (plus the residual) into `rows` output rows of `O` values,
    /// before the GEMMs accumulate into them (`beta = 1`). This replaces
    /// OpenBLAS's zeroing pass for `beta = 0` and the bias/residual pass after it.
    private func prologue(_ y: UnsafeMutablePointer<Float>, residual: UnsafeMutablePointer<Float>?, rows: Int, parallel: Bool) {
        let o = g.outChannels
        bias.withUnsafeBufferPointer { bias in
            let b = UnsafeRawPointer(bias.baseAddress!)
            Parallel.forRanges(rows, work: parallel ? rows * o : 0) { part in
                guard let residual else {
                    // Whole rows are contiguous: `biasRows` of them per copy.
                    for r in stride(from: part.lowerBound, to: part.upperBound, by: biasRows) {
                        (y + r * o).update(from: biasBlock.pointer, count: min(biasRows, part.upperBound - r) * o)
                    }
                    return
                }
                for r in part {
                    let raw = UnsafeMutableRawPointer(y + r * o), res = UnsafeRawPointer(residual + r * o)
                    var j = 0
                    while j + 8 <= o {
                        let v = res.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                            + b.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        raw.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
                        j += 8
                    }
                    while j < o { y[r * o + j] = residual[r * o + j] + bias[j]; j += 1 }
                }
            }
        }
    }

    /// Applies the activation to `rows` output rows of `O` values.
    private func epilogue(_ y: UnsafeMutablePointer<Float>, rows: Int, parallel: Bool) {
        let o = g.outChannels
        if activation == .none { return }
        Parallel.forRanges(rows, work: parallel ? rows * o : 0) { part in
            activation.apply(y + part.lowerBound * o, part.count * o)
        }
    }
}

/// A slice of a GEMM's output columns stored as its own `[K, width]` weight matrix
/// (`Conv2DKernel.panels`).
struct ColumnPanel: Equatable {
    /// The core that computes it, its first output column, its width, and where its
    /// weights start in the packed buffer.
    let part: Int, column: Int, width: Int, offset: Int

    /// The widest panel. MobileNetV2-160 at batch 1, per-kernel minima: its 5×5 and 10×10
    /// expand and project convolutions took 0.79–0.84 ms with panels as wide as
    /// `BLAS.smallProduct` allows (up to 240 columns), 0.71–0.80 with 64, about the same
    /// with 48 or 32.
    static let maxWidth = 64

    /// `columns` split over `parts` cores on 16-column boundaries (as the unpacked split
    /// does), and each core's share into panels of near-equal widths, each at most
    /// `maxWidth` columns and `BLAS.smallProduct` multiply-adds of a `rows × k` input.
    static func split(columns: Int, parts: Int, rows: Int, k: Int) -> [ColumnPanel] {
        let widest = max(16, min(maxWidth, BLAS.smallProduct > 0 ? BLAS.smallProduct / max(1, rows * k) & ~15 : columns))
        var panels: [ColumnPanel] = [], offset = 0
        for part in 0..<parts {
            let lo = (columns * part / parts) & ~15, hi = part == parts - 1 ? columns : (columns * (part + 1) / parts) & ~15
            guard hi > lo else { continue }
            let count = (hi - lo + widest - 1) / widest
            for i in 0..<count {
                // Boundaries on 16 columns where the share allows it.
                let a = lo + ((hi - lo) * i / count) & ~15, b = i == count - 1 ? hi : lo + ((hi - lo) * (i + 1) / count) & ~15
                guard b > a else { continue }
                panels.append(ColumnPanel(part: part, column: a, width: b - a, offset: offset))
                offset += (b - a) * k
            }
        }
        return panels
    }
}
