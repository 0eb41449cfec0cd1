import Foundation
import NumericCore
import Testing

/// Error bars of `SVGPlot`: one vertical bar with two caps per point with a positive error, spanning y ± e in the
/// plot's pixel scale, inside the axes (the range includes the bars' ends); none for a zero error.
@Suite struct SVGPlotTests {
    static func lines(_ svg: String, color: String) -> [(x1: Double, y1: Double, x2: Double, y2: Double)] {
        svg.components(separatedBy: "<line ").dropFirst().compactMap { part -> (Double, Double, Double, Double)? in
            guard part.contains("stroke=\"\(color)\"") else { return nil }
            func value(_ key: String) -> Double? {
                guard let r = part.range(of: key + "=\"") else { return nil }
                return Double(part[r.upperBound...].prefix { $0 != "\"" })
            }
            guard let a = value("x1"), let b = value("y1"), let c = value("x2"), let d = value("y2") else { return nil }
            return (a, b, c, d)
        }
    }

    @Test func errorBarsSpanTheirValues() {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        var s = SVGPlot.Series(label: "data", x: [0, 1, 2], y: [1, 2, 1.5], color: "#123456", lines: false)
        s.errors = [0.5, 0, 0.25]
        plot.series.append(s)
        let svg = plot.render()
        let bars = Self.lines(svg, color: "#123456")
        #expect(bars.count == 6)                                   // two points with errors × (bar + two caps)
        let vertical = bars.filter { abs($0.x1 - $0.x2) < 1e-9 }
        #expect(vertical.count == 2)
        // Pixel lengths in the ratio of the errors (0.5 : 0.25), both bars inside the frame (y from 40 to 420).
        let len = vertical.map { abs($0.y2 - $0.y1) }
        #expect(abs(len[0] / len[1] - 2) < 1e-3, "\(len)")
        for b in vertical { #expect(min(b.y1, b.y2) >= 40 - 1e-9 && max(b.y1, b.y2) <= 420 + 1e-9) }
        // Without errors nothing of the kind is drawn.
        plot.series[0].errors = nil
        #expect(Self.lines(plot.render(), color: "#123456").isEmpty)
    }
}
