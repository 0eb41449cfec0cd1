import Foundation

/// A minimal SVG line/scatter plot with linear or logarithmic axes, for result figures.
public struct SVGPlot {
    /// One curve of the plot.
    public struct Series {
        /// Legend text.
        public var label: String
        /// Abscissae.
        public var x: [Double]
        /// Ordinates, paired with `x`.
        public var y: [Double]
        /// CSS colour of the curve.
        public var color: String
        /// Whether the line is dashed.
        public var dashed: Bool
        /// Whether the points are marked.
        public var markers: Bool
        /// Whether the points are joined by lines.
        public var lines: Bool
        /// A series; by default solid, with markers and lines.
        /// Symmetric error bars (one standard error per point; nil: none), drawn as vertical bars y ± e with caps (on a
        /// log axis the lower end is dropped where y − e ≤ 0).
        public var errors: [Double]? = nil
        /// The marker shape (nil: the shape of the series' position among the plot's series, `Marker.cycle`).
        public var marker: Marker? = nil
        public init(label: String, x: [Double], y: [Double], color: String, dashed: Bool = false, markers: Bool = true, lines: Bool = true,
                    errors: [Double]? = nil, marker: Marker? = nil) {
            self.label = label; self.x = x; self.y = y; self.color = color
            self.dashed = dashed; self.markers = markers; self.lines = lines; self.errors = errors; self.marker = marker
        }
    }

    /// Title above the plot.
    public var title: String
    /// Label of the x axis.
    public var xLabel: String
    /// Label of the y axis.
    public var yLabel: String
    /// Logarithmic x axis (non-positive x are dropped).
    public var logX: Bool
    /// Logarithmic y axis (non-positive y are dropped).
    public var logY: Bool
    /// Integer-valued axes (e.g. a degree k): ticks only at integers (linear axes).
    public var integerX = false, integerY = false
    /// The curves, drawn in order.
    public var series: [Series] = []
    /// Width of the image in pixels.
    public var width = 720.0
    /// Height of the image in pixels.
    public var height = 480.0

    /// An empty plot with the given title and axes.
    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logX = logX; self.logY = logY
    }

    /// Default series colours, in the order series take them: the Okabe–Ito palette, distinguishable under the
    /// common colour-vision deficiencies (Okabe & Ito 2008; the one matplotlib's and the Python companion's figures
    /// use). Series also differ by marker shape (`Marker.cycle`), so no two series rely on colour alone.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    /// Marker shapes of the points.
    public enum Marker: String, CaseIterable, Sendable {
        case circle, square, triangle, diamond, triangleDown, pentagon, hexagon, star
        /// The shapes in the order series take them.
        public static let cycle: [Marker] = allCases

        /// The SVG element of the marker centred at (x, y), filled with `color`.
        func svg(_ x: Double, _ y: Double, color: String) -> String {
            func polygon(_ pts: [(Double, Double)]) -> String {
                "<polygon points=\"" + pts.map { String(format: "%.2f,%.2f", x + $0.0, y + $0.1) }.joined(separator: " ") + "\" fill=\"\(color)\"/>"
            }
            func regular(_ n: Int, _ r: Double, phase: Double = -Double.pi / 2) -> [(Double, Double)] {
                (0..<n).map { k in let a = phase + 2 * Double.pi * Double(k) / Double(n); return (r * cos(a), r * sin(a)) }
            }
            switch self {
            case .circle: return String(format: "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\"", x, y) + " fill=\"\(color)\"/>"
            case .square: return String(format: "<rect x=\"%.2f\" y=\"%.2f\" width=\"6.4\" height=\"6.4\"", x - 3.2, y - 3.2) + " fill=\"\(color)\"/>"
            case .triangle: return polygon(regular(3, 4.4))
            case .diamond: return polygon([(0, -4.5), (3.6, 0), (0, 4.5), (-3.6, 0)])
            case .triangleDown: return polygon(regular(3, 4.4, phase: Double.pi / 2))
            case .pentagon: return polygon(regular(5, 4.0))
            case .hexagon: return polygon(regular(6, 4.0))
            case .star: return polygon((0..<10).map { k in
                let a = -Double.pi / 2 + Double.pi * Double(k) / 5, r = k % 2 == 0 ? 5.0 : 2.2
                return (r * cos(a), r * sin(a))
            })
            }
        }
    }

    /// Tick label of a linear axis: up to four significant digits, and exactly 0 for a tick within round-off of zero
    /// (not 3.47e-18).
    static func linearLabel(_ v: Double, step: Double) -> String {
        abs(v) < 1e-9 * abs(step) ? "0" : String(format: "%.4g", v)
    }

    /// Tick label of a logarithmic axis at m·10^k: plain decimals between 10⁻³ and 10⁴ ("0.002", "500"), else
    /// "2e-5".
    static func logLabel(mantissa m: Int, exponent k: Int) -> String {
        if (-3...4).contains(k) {
            let v = Double(m) * pow(10, Double(k))
            return k >= 0 ? String(format: "%.0f", v) : String(format: "%.\(-k)f", v)
        }
        return "\(m)e\(k)"
    }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The SVG document.
    public func render() -> String {
        let ml = 80.0, mr = 180.0, mt = 40.0, mb = 60.0
        let pw = width - ml - mr, ph = height - mt - mb
        func tx(_ v: Double) -> Double? { logX ? (v > 0 ? log10(v) : nil) : (v.isFinite ? v : nil) }
        func ty(_ v: Double) -> Double? { logY ? (v > 0 && v.isFinite ? log10(v) : nil) : (v.isFinite ? v : nil) }
        let xs = series.flatMap { $0.x.compactMap(tx) }
        // The y range holds the values and the ends of their error bars.
        let ys = series.flatMap { ser -> [Double] in
            var v = ser.y.compactMap(ty)
            if let e = ser.errors {
                for (k, y) in ser.y.enumerated() where k < e.count && e[k].isFinite && e[k] > 0 {
                    if let a = ty(y + e[k]) { v.append(a) }
                    if let b = ty(y - e[k]) { v.append(b) }
                }
            }
            return v
        }
        var x0 = xs.min() ?? 0, x1 = xs.max() ?? 1, y0 = ys.min() ?? 0, y1 = ys.max() ?? 1
        if x1 - x0 < 1e-12 { x0 -= 0.5; x1 += 0.5 }
        if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
        // Linear y: 5 % room above and below; log axes: whole decades (a point within 0.01 decade of one gets the
        // next decade as room).
        if !logY { let padY = 0.05 * (y1 - y0); y0 -= padY; y1 += padY }
        if logX { x0 = floor(x0 - 0.01); x1 = ceil(x1 + 0.01) }
        if logY { y0 = floor(y0 - 0.01); y1 = ceil(y1 + 0.01) }
        func px(_ v: Double) -> Double { ml + (v - x0) / (x1 - x0) * pw }
        func py(_ v: Double) -> Double { mt + ph - (v - y0) / (y1 - y0) * ph }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(ml + pw / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
        s += "<rect x=\"\(ml)\" y=\"\(mt)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"black\"/>\n"
        /// Labelled ticks (position in axis units, label) and unlabelled minor ticks. Log axes: decades (every
        /// ⌈span/8⌉-th when they are many), minor ticks at 2…9 × 10^k when every decade is shown, labelled at 2 and 5
        /// when the axis spans at most three decades.
        func ticks(_ a: Double, _ b: Double, log: Bool, integer: Bool) -> (major: [(Double, String)], minor: [Double]) {
            if log {
                let step = max(1, ((b - a) / 8).rounded(.up))
                var major = stride(from: a, through: b, by: step).map { ($0, Self.logLabel(mantissa: 1, exponent: Int($0.rounded()))) }
                var minor: [Double] = []
                if step == 1 {
                    for k in stride(from: a, to: b, by: 1) {
                        for m in 2...9 {
                            let v = k + log10(Double(m))
                            if (b - a) <= 3 && (m == 2 || m == 5) { major.append((v, Self.logLabel(mantissa: m, exponent: Int(k.rounded())))) } else { minor.append(v) }
                        }
                    }
                }
                return (major, minor)
            }
            let raw = (b - a) / 6, mag = pow(10, floor(log10(raw)))
            var step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
            if integer { step = max(1, step.rounded()) }
            let major = stride(from: ceil(a / step) * step, through: b, by: step).map { ($0, Self.linearLabel($0, step: step)) }
            let minor = stride(from: ceil(a / (step / 5)) * (step / 5), through: b, by: step / 5).filter { v in
                !major.contains { abs($0.0 - v) < 1e-9 * step }
            }
            return (major, integer ? [] : minor)
        }
        let xt = ticks(x0, x1, log: logX, integer: integerX), yt = ticks(y0, y1, log: logY, integer: integerY)
        for (t, text) in xt.major {
            s += "<line x1=\"\(px(t))\" y1=\"\(mt + ph)\" x2=\"\(px(t))\" y2=\"\(mt + ph + 5)\" stroke=\"black\"/>"
            s += "<text x=\"\(px(t))\" y=\"\(mt + ph + 18)\" text-anchor=\"middle\">\(text)</text>\n"
        }
        for t in xt.minor { s += "<line class=\"minor\" x1=\"\(px(t))\" y1=\"\(mt + ph)\" x2=\"\(px(t))\" y2=\"\(mt + ph + 3)\" stroke=\"black\"/>" }
        for (t, text) in yt.major {
            s += "<line x1=\"\(ml - 5)\" y1=\"\(py(t))\" x2=\"\(ml)\" y2=\"\(py(t))\" stroke=\"black\"/>"
            s += "<text x=\"\(ml - 8)\" y=\"\(py(t) + 4)\" text-anchor=\"end\">\(text)</text>\n"
        }
        for t in yt.minor { s += "<line class=\"minor\" x1=\"\(ml - 3)\" y1=\"\(py(t))\" x2=\"\(ml)\" y2=\"\(py(t))\" stroke=\"black\"/>" }
        s += "\n"
        s += "<text x=\"\(ml + pw / 2)\" y=\"\(height - 15)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text x=\"18\" y=\"\(mt + ph / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(mt + ph / 2))\">\(escape(yLabel))</text>\n"
        var legendRow = 0
        for (index, ser) in series.enumerated() {
            let marker = ser.marker ?? Marker.cycle[index % Marker.cycle.count]
            let pts = zip(ser.x, ser.y).compactMap { a, b -> (Double, Double)? in
                guard let u = tx(a), let v = ty(b) else { return nil }
                return (px(u), py(v))
            }
            let dash = ser.dashed ? " stroke-dasharray=\"6,4\"" : ""
            if ser.lines && pts.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"1.6\"\(dash) points=\""
                s += pts.map { String(format: "%.2f,%.2f", $0.0, $0.1) }.joined(separator: " ") + "\"/>\n"
            }
            if let errs = ser.errors {
                for (k, (a, b)) in zip(ser.x, ser.y).enumerated() where k < errs.count && errs[k].isFinite && errs[k] > 0 {
                    guard let u = tx(a), let top = ty(b + errs[k]) else { continue }
                    let x = px(u), yTop = py(top)
                    let yBottom = ty(b - errs[k]).map(py) ?? (mt + ph)
                    s += String(format: "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", x, yTop, x, yBottom) + " stroke=\"\(ser.color)\" stroke-width=\"1\"/>"
                    for yc in [yTop, yBottom] {
                        s += String(format: "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", x - 3, yc, x + 3, yc) + " stroke=\"\(ser.color)\" stroke-width=\"1\"/>"
                    }
                }
                s += "\n"
            }
            if ser.markers { for p in pts { s += marker.svg(p.0, p.1, color: ser.color) }; s += "\n" }
            // Series with an empty label stay out of the legend.
            guard !ser.label.isEmpty else { continue }
            let ly = mt + 14 + Double(legendRow) * 18
            legendRow += 1
            s += "<g class=\"legend\">"
            if ser.lines {
                s += "<line x1=\"\(ml + pw + 12)\" y1=\"\(ly - 4)\" x2=\"\(ml + pw + 36)\" y2=\"\(ly - 4)\" stroke=\"\(ser.color)\" stroke-width=\"2\"\(dash)/>"
            }
            if ser.markers || !ser.lines { s += marker.svg(ml + pw + 24, ly - 4, color: ser.color) }
            s += "<text x=\"\(ml + pw + 42)\" y=\"\(ly)\">\(escape(ser.label))</text></g>\n"
        }
        return s + "</svg>\n"
    }

    /// Writes the SVG atomically.
    public func write(to url: URL) throws { try AtomicFile.write(Data(render().utf8), to: url) }
}
