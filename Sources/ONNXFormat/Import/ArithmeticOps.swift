import GraphIR

/// Broadcasting arithmetic and matrix products.
let arithmeticImporters: [String: ONNXOpImporter] = [
    "Add": { _, _ in .add },
    "Sub": { _, _ in .sub },
    "Mul": { _, _ in .mul },
    "Div": { _, _ in .div },
    "MatMul": { _, _ in .matMul },
    "Gemm": { _, context in
        .gemm(GemmAttributes(
            alpha: try context.float("alpha", default: 1),
            beta: try context.float("beta", default: 1),
            transA: try context.int("transA", default: 0) != 0,
            transB: try context.int("transB", default: 0) != 0))
    },
]
