import NumericCore

/// The positive semi-definite square root V diag(√max(0, λ)) Vᵀ of a symmetric matrix (dense eigen-decomposition;
/// negative round-off eigenvalues clipped to 0): the reference route for spectra of products like A^{1/2}BA^{1/2}.
public func symmetricSquareRoot(_ m: Matrix) throws -> Matrix {
    let n = m.rows
    let e = try LinearAlgebra.symmetricEigen(m)
    var root = Matrix(rows: n, cols: n)
    for i in 0..<n { for j in 0..<n {
        var s = 0.0
        for k in 0..<n { s += e.vectors[i, k] * max(0, e.values[k]).squareRoot() * e.vectors[j, k] }
        root[i, j] = s
    } }
    return root
}
