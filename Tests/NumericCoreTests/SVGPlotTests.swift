import Foundation
@testable import NumericCore
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

    /// The texts of the tick labels (the `<text>` elements anchored middle below the frame or end left of it).
    static func tickLabels(_ svg: String, anchor: String) -> [String] {
        svg.components(separatedBy: "<text ").dropFirst().compactMap { part in
            guard part.contains("text-anchor=\"\(anchor)\""), let gt = part.firstIndex(of: ">"), let lt = part.firstIndex(of: "<") else { return nil }
            return String(part[part.index(after: gt)..<lt])
        }
    }

    /// A log axis over two decades: decades labelled as plain numbers, 2 and 5 labelled between them, the other
    /// mantissas as minor ticks (8 per decade in all).
    @Test func logAxesHaveMinorTicksAndReadableLabels() {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y", logY: true)
        plot.series.append(.init(label: "a", x: [1, 2, 3], y: [0.012, 0.3, 0.9], color: SVGPlot.palette[0]))
        let svg = plot.render()
        let y = Self.tickLabels(svg, anchor: "end")
        #expect(y == ["0.01", "0.1", "1", "0.02", "0.05", "0.2", "0.5"], "\(y)")
        // Minor ticks of the y axis (drawn from x = 77, 3 px left of the frame): 3, 4, 6, 7, 8, 9 in each decade.
        let minor = svg.components(separatedBy: "<line class=\"minor\" x1=\"77.0\"").count - 1
        #expect(minor == 2 * 6, "\(minor) minor ticks")
    }

    /// A linear axis through zero labels its zero tick "0", not the round-off of the tick arithmetic.
    @Test func zeroIsWrittenAsZero() {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        plot.series.append(.init(label: "a", x: [0, 1], y: [-0.7, 0.3], color: SVGPlot.palette[0]))
        let y = Self.tickLabels(plot.render(), anchor: "end")
        #expect(y.contains("0") && !y.contains { $0.contains("e-") }, "\(y)")
        #expect(SVGPlot.linearLabel(2.7755575615628914e-17, step: 0.2) == "0")
        #expect(SVGPlot.linearLabel(0.2, step: 0.2) == "0.2")
    }

    /// Eight series: eight distinct (colour, marker shape) pairs in the plot and in the legend, whose texts are the
    /// series' labels in order; the palette is Okabe–Ito's.
    @Test func seriesDifferInColourAndMarkerAndTheLegendNamesThem() {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        for k in 0..<8 {
            plot.series.append(.init(label: "series \(k)", x: [0, 1], y: [Double(k), Double(k) + 1], color: SVGPlot.palette[k]))
        }
        let svg = plot.render()
        let legend = svg.components(separatedBy: "<g class=\"legend\">").dropFirst().map { String($0.prefix { $0 != "\n" }) }
        #expect(legend.count == 8)
        let pairs = Set(legend.map { part -> String in
            let shape = ["<circle", "<rect", "<polygon"].first { part.contains($0) } ?? "none"
            let points = part.range(of: "points=\"").map { String(part[$0.upperBound...].prefix { $0 != "\"" }).split(separator: " ").count } ?? 0
            let color = part.range(of: "fill=\"").map { String(part[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
            return "\(shape)/\(points)/\(color)"
        })
        #expect(pairs.count == 8, "\(pairs)")
        let texts = legend.map { part -> String in
            let t = part.components(separatedBy: "<text ").last!
            return String(t[t.index(after: t.firstIndex(of: ">")!)...].prefix { $0 != "<" })
        }
        #expect(texts == (0..<8).map { "series \($0)" })
        #expect(SVGPlot.palette == ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"])
    }
}
