import Foundation

/// The modified Bessel function I_ν(x) of integer order by its power series Σ_m (x/2)^{2m+ν}/(m!(m+ν)!)
/// (I_{−ν} = I_ν; terms summed until they fall below 10⁻¹⁸ of the sum) — the closed forms of flows from u = a cos x
/// (∫₀^{2π} e^{a cos x} cos(νx) dx = 2π I_ν(a)).
public func besselI(_ order: Int, _ x: Double) -> Double {
    let nu = abs(order)
    var term = 1.0
    for k in 0..<nu { term *= (x / 2) / Double(k + 1) }
    var sum = term
    for m in 1..<300 {
        term *= (x / 2) * (x / 2) / (Double(m) * Double(m + nu))
        sum += term
        if abs(term) <= 1e-18 * abs(sum) { break }
    }
    return sum
}
