/// Sizes of one 2-D convolution or pooling window over an NHWC input.
struct ConvGeometry: Sendable, Equatable {
    var batch: Int, height: Int, width: Int, channels: Int
    var outChannels: Int, outHeight: Int, outWidth: Int
    var kernelH: Int, kernelW: Int
    var strideH: Int, strideW: Int
    var dilationH: Int, dilationW: Int
    /// Explicit pads (autoPad already resolved).
    var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    var group: Int

    /// Output rows of the GEMM view: one per output pixel.
    var outputPixels: Int { batch * outHeight * outWidth }
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
            && padBottom == 0 && padRight == 0 && group == 1
    }
    var isDepthwise: Bool { group == channels && group == outChannels && group > 1 }
}

/// Memory shared by the kernels of one plan for intermediate data (im2col
/// columns); kernels run one after another, so one block serves all.
final class ScratchArena: @unchecked Sendable {
    private(set) var count = 0
    private var buffer: FloatBuffer?

    /// Asks for at least `count` floats; call at plan time.
    func reserve(_ count: Int) { self.count = max(self.count, count) }

    /// The scratch block, allocated on first use.
    var pointer: UnsafeMutablePointer<Float> {
        if buffer == nil || buffer!.count < count { buffer = FloatBuffer(count: count) }
        return buffer!.pointer
    }
}
