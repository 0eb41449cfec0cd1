import Foundation
import Testing
import TestSupport

/// `nntheory demo` run to completion (the README's main job). The sections whose debug-build cost is modest run
/// here (the ensembles and ntk sections take minutes in a debug build; their commands are tested on their own):
/// exit 0, every section's folder written, no NaN in the report, summary.json naming the sections with a complete
/// run, and the geometry against independent numbers.
@Suite struct DemoCLITests {
    @Test func demoSectionsRunToCompletion() throws {
        let dir = CLI.tempDir()
        let sections = ["fieldtheory", "cy", "training", "metricflow"]
        let r = try CLI.run(["demo", "--sections", sections.joined(separator: ","), "--networks", "2000", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.lowercased().contains("nan"), "\(r.stdout)")
        for s in sections {
            let items = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/" + s)) ?? []
            #expect(!items.isEmpty, "section \(s) wrote nothing")
        }
        let py = try CLI.python("""
        import json, math
        d = '\(dir)'
        s = json.load(open(d + '/summary.json'))
        assert s['sections'] == \(sections), s['sections']
        assert s['run']['complete'] is True
        c = json.load(open(d + '/cy/donaldson/summary.json'))
        # σ_FS of the Fermat quintic against cymetric's sigma_measure on its own 10^5 points, 0.3719 ± 0.0007
        # (BENCHMARKS.md, docs/cy-neural.md): independent sampler and code.
        e = math.hypot(c['sigma_fs_error'], 0.0007)
        assert abs(c['sigma_fs'] - 0.3719) < 4 * e, (c['sigma_fs'], c['sigma_fs_error'])
        # Vol_K of every balanced metric is the intersection number (5 on the quintic) within its error.
        for k in c['degrees']:
            assert abs(k['vol_k'] - c['vol_k_exact']) < 4 * k['vol_k_error'], k
        print('ok')
        """)
        #expect(py.status == 0 && py.output.contains("ok"), "\(py.output)")
    }
}
