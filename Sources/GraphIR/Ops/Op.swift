import TensorCore

/// The operations of the IR. Names and semantics are Graft's own; the format
/// importers translate their spellings into these.
///
/// Activations are NCHW. Inputs listed per case are positional; an empty
/// string in `Node.inputs` means an optional input that is absent.
public enum Op: Sendable, Equatable {
    /// Inputs: x `[N, C, H, W]`, w `[O, C / group, kH, kW]` (OIHW), bias `[O]` (optional).
    case conv2d(Conv2DAttributes)
    /// Inference-mode batch normalisation. Inputs: x, scale, bias, mean, variance (each `[C]`).
    case batchNorm(epsilon: Float)
    case relu
    /// `min(max(x, min), max)`; ReLU6 is `clip(0, 6)`. Absent bounds are ±infinity.
    case clip(min: Float, max: Float)
    case sigmoid
    /// `max(0, min(1, alpha * x + beta))`.
    case hardSigmoid(alpha: Float, beta: Float)
    /// `x * max(0, min(1, x / 6 + 0.5))`.
    case hardSwish
    /// `x * sigmoid(x)` (also called SiLU).
    case swish
    /// Elementwise with NumPy broadcasting. Inputs: a, b.
    case add, sub, mul, div
    /// NumPy `matmul`. Inputs: a, b.
    case matMul
    /// `alpha * op(A) @ op(B) + beta * C`. Inputs: a `[M, K]`, b, c (optional, broadcast to `[M, N]`).
    /// Dense layers are `gemm(transB: true)` with weights `[out, in]`.
    case gemm(GemmAttributes)
    /// `[N, C, H, W] -> [N, C, 1, 1]`.
    case globalAveragePool
    case averagePool(PoolAttributes)
    case maxPool(PoolAttributes)
    /// Mean over `axes` (all axes when empty).
    case reduceMean(axes: [Int], keepDims: Bool)
    /// `[d0 … d(axis-1), d(axis) … dn] -> [prod(before), prod(after)]`.
    case flatten(axis: Int)
    /// Inputs: x, shape (int64, 1-D; 0 copies the input's dimension, -1 is inferred).
    case reshape
    case transpose(perm: [Int])
    case concat(axis: Int)
    /// Inputs: x, pads (int64 `[begin_0 … begin_r, end_0 … end_r]`, may be negative).
    case pad(mode: PadMode, value: Float)
    case softmax(axis: Int)
    /// Identity at inference; the ratio is kept for training and export.
    case dropout(ratio: Float)
    case identity
    case cast(to: DType)
    /// The input's shape as int64 `[rank]`, sliced to `start..<end`.
    case shape(start: Int, end: Int?)
    /// Inputs: data, indices (int). Like `numpy.take(data, indices, axis)`.
    case gather(axis: Int)
    /// Inputs: data, starts, ends, axes (optional), steps (optional); all int64 1-D.
    case slice
    case squeeze(axes: [Int])
    case unsqueeze(axes: [Int])
    /// Input: shape (int64 1-D). Output: a tensor of that shape filled with `value`.
    case constantOfShape(value: Float, dtype: DType)

    /// A short lowercase name for tables and the printer, e.g. `conv2d`.
    public var name: String {
        switch self {
        case .conv2d(let a): a.group > 1 ? "conv2d(g=\(a.group))" : "conv2d"
        case .batchNorm: "batch_norm"
        case .relu: "relu"
        case .clip(let lo, let hi): lo == 0 && hi == 6 ? "relu6" : "clip"
        case .sigmoid: "sigmoid"
        case .hardSigmoid: "hard_sigmoid"
        case .hardSwish: "hard_swish"
        case .swish: "swish"
        case .add: "add"
        case .sub: "sub"
        case .mul: "mul"
        case .div: "div"
        case .matMul: "matmul"
        case .gemm: "gemm"
        case .globalAveragePool: "global_average_pool"
        case .averagePool: "average_pool"
        case .maxPool: "max_pool"
        case .reduceMean: "reduce_mean"
        case .flatten: "flatten"
        case .reshape: "reshape"
        case .transpose: "transpose"
        case .concat: "concat"
        case .pad: "pad"
        case .softmax: "softmax"
        case .dropout: "dropout"
        case .identity: "identity"
        case .cast: "cast"
        case .shape: "shape"
        case .gather: "gather"
        case .slice: "slice"
        case .squeeze: "squeeze"
        case .unsqueeze: "unsqueeze"
        case .constantOfShape: "constant_of_shape"
        }
    }
}

/// How a convolution or pool pads its input.
public enum AutoPad: String, Sendable, Equatable {
    /// Use the explicit `pads`.
    case explicit
    /// Output size `ceil(in / stride)`; an odd total pad puts the extra at the end (TensorFlow's "same").
    case sameUpper
    /// As `sameUpper`, with the extra pad at the beginning.
    case sameLower
    /// No padding.
    case valid
}

/// Convolution attributes. Weights are OIHW: `[outChannels, inChannels / group, kH, kW]`.
/// Keras `Conv2D` kernels (HWIO) are transposed at import; `DepthwiseConv2D`
/// becomes `group == inChannels`.
public struct Conv2DAttributes: Sendable, Equatable {
    public var kernel: [Int]        // [kH, kW]
    public var strides: [Int]       // [sH, sW]
    public var dilations: [Int]     // [dH, dW]
    /// `[top, left, bottom, right]`, used when `autoPad == .explicit`.
    public var pads: [Int]
    public var autoPad: AutoPad
    public var group: Int

    public init(kernel: [Int], strides: [Int] = [1, 1], dilations: [Int] = [1, 1],
                pads: [Int] = [0, 0, 0, 0], autoPad: AutoPad = .explicit, group: Int = 1) {
        self.kernel = kernel
        self.strides = strides
        self.dilations = dilations
        self.pads = pads
        self.autoPad = autoPad
        self.group = group
    }
}

/// Average and max pooling over H and W.
public struct PoolAttributes: Sendable, Equatable {
    public var kernel: [Int]
    public var strides: [Int]
    /// `[top, left, bottom, right]`, used when `autoPad == .explicit`.
    public var pads: [Int]
    public var autoPad: AutoPad
    public var ceilMode: Bool
    /// Average pool only: whether padded cells count in the divisor.
    public var countIncludePad: Bool

    public init(kernel: [Int], strides: [Int]? = nil, pads: [Int] = [0, 0, 0, 0],
                autoPad: AutoPad = .explicit, ceilMode: Bool = false, countIncludePad: Bool = false) {
        self.kernel = kernel
        self.strides = strides ?? [1, 1]
        self.pads = pads
        self.autoPad = autoPad
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }
}

public struct GemmAttributes: Sendable, Equatable {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.transA = transA
        self.transB = transB
    }
}

public enum PadMode: String, Sendable, Equatable {
    case constant, reflect, edge
}
