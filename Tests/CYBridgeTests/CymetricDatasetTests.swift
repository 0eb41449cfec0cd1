import CYBridge
import Foundation
import NumericCore
import Numerics
import Testing
import TestSupport

/// cymetric's on-disk format read back: our own files round-trip, numpy's deflated archives (`savez_compressed`, what
/// cymetric writes) read to the same arrays, and points of another variety are refused.
@Suite struct CymetricDatasetTests {
    /// Write then read on the bicubic (two factors): the variety rebuilt from basis.npz has the same equations and
    /// ambient, the points come back bit for bit, |Ω|² and the weights are recomputed to round-off (our own
    /// normalisation), and the Kähler moduli are the written ones.
    @Test func roundTripRebuildsTheVariety() throws {
        let v = Variety.bicubic
        let s = try PointSampler(variety: v).sample(count: 300, seed: 5)
        let dir = try makeTemporaryDirectory(prefix: "cymetric-rt")
        try CymetricDataset.write(s, kahler: [1, 2], to: dir)
        let r = try CymetricDataset.read(dir)
        #expect(r.variety.equations == v.equations && r.variety.ambient == v.ambient)
        #expect(r.kahler == [1, 2])
        #expect(r.training.count == 270 && r.validation.count == 30)
        #expect(Array(s.points[0..<(270 * 6)]) == r.training.points)
        #expect(Array(s.points[(270 * 6)...]) == r.validation.points)
        #expect(r.omegaDeviation <= 1e-12 && r.weightDeviation <= 1e-12, "\(r.omegaDeviation) \(r.weightDeviation)")
    }

    /// numpy's savez_compressed (zip deflate, what cymetric's prepare_dataset writes) of the same arrays reads to the
    /// same points and |Ω|²; a quintic dataset read as the bicubic is refused naming the point.
    @Test func deflatedArchivesAndWrongVarieties() throws {
        let s = try PointSampler(variety: .fermatQuintic).sample(count: 200, seed: 6)
        let dir = try makeTemporaryDirectory(prefix: "cymetric-z")
        try CymetricDataset.write(s, kahler: [1], to: dir)
        let zdir = try makeTemporaryDirectory(prefix: "cymetric-zz")
        let py = try runPython("""
        import numpy as np
        d = dict(np.load('\(dir.path)/dataset.npz'))
        np.savez_compressed('\(zdir.path)/dataset.npz', **d)
        print('ok')
        """)
        #expect(py.status == 0, "\(py.output)")
        let plain = try CymetricDataset.read(dir), packed = try CymetricDataset.read(zdir, variety: .fermatQuintic)
        #expect(plain.training.points == packed.training.points && plain.validation.omegaSquared == packed.validation.omegaSquared)
        #expect(packed.kahler == nil)
        #expect(throws: InputError.self) { try CymetricDataset.read(zdir) }   // no basis.npz and no variety
        do {
            _ = try CymetricDataset.read(zdir, variety: .bicubic)
            Issue.record("quintic points read as the bicubic")
        } catch let e as InputError {
            #expect("\(e)".contains("expected [Re z, Im z] of bicubic") || "\(e)".contains("expected the points of bicubic"), "\(e)")
        }
    }

    /// A corrupted deflated member fails its CRC or its inflation, with one line naming the file.
    @Test func corruptArchiveIsOneLine() throws {
        let s = try PointSampler(variety: .fermatQuintic).sample(count: 50, seed: 7)
        let dir = try makeTemporaryDirectory(prefix: "cymetric-bad")
        try CymetricDataset.write(s, kahler: [1], to: dir)
        let url = dir.appendingPathComponent("dataset.npz")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[200] ^= 0xFF
        try Data(bytes).write(to: url)
        do { _ = try NPZ.read(url); Issue.record("a corrupt archive was read") } catch let e as InputError {
            #expect("\(e)".contains(url.path) && !"\(e)".contains("\n"), "\(e)")
        }
    }
}
