import Histogram
import ConnModel

/// `.hgrm` files: a histogram's percentile distribution as HdrHistogram's
/// `outputPercentileDistribution` prints it (Value, Percentile, TotalCount,
/// 1/(1-Percentile), then the Mean/Max/Buckets footer), the text HdrHistogram's plotter
/// (plotFiles.html) reads. hdrhistogram-swift ports that printer; this picks the histogram
/// and the unit.
package enum PercentileReporter {
    /// Values in microseconds: the histograms hold nanoseconds.
    package static let outputValueUnitScalingRatio = 1000.0

    /// The whole-run histograms (nanoseconds, 3 digits), one file each.
    package static func files(for r: RunReport) -> [(name: String, contents: String)] {
        [
            ("latency-corrected.hgrm", render(r.histograms.latency)),
            ("latency-service.hgrm", render(r.histograms.service)),
            ("latency-call.hgrm", render(r.histograms.connectCall)),
        ] + (r.histograms.callRunning.map { [("latency-call-running.hgrm", render($0))] } ?? [])
    }

    package static func render<C>(_ h: Histogram<C>) -> String {
        var out = ""
        h.outputPercentileDistribution(to: &out, outputValueUnitScalingRatio: outputValueUnitScalingRatio)
        return out
    }
}
