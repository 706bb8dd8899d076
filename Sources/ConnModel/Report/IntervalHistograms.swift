import Histogram

/// The measured window's latency histograms per interval, all workers added: what
/// `latency.hlog` is written from, and what a re-rendering reads back from it.
///
/// Values in nanoseconds, 2 significant digits (``LatencyHistogram/makeLogInterval()``);
/// the rows' counts add up to the whole-run histograms' counts.
package struct IntervalHistograms: Sendable, Codable {
    /// The wall-clock time of the run's start (warm-up included), ms since the epoch.
    package var startEpochMs: UInt64
    package var rows: [Row]

    package init(startEpochMs: UInt64, rows: [Row]) {
        self.startEpochMs = startEpochMs
        self.rows = rows
    }

    package struct Row: Sendable, Codable {
        /// Seconds since the run's start (as in timeseries.csv): the first row starts at
        /// the end of the warm-up.
        package var startSeconds: Double
        package var seconds: Double
        /// Coordinated-omission corrected, from each attempt's intended start.
        package var latency: Histogram<UInt32>
        /// From the connect() call to established.
        package var service: Histogram<UInt32>
        /// The connect() call alone.
        package var connectCall: Histogram<UInt32>
        /// The sampled connect() calls less the worker's CPU wait inside them (epoll; nil
        /// on io_uring and in logs written before it).
        package var callRunning: Histogram<UInt32>?

        package init(startSeconds: Double, seconds: Double, latency: Histogram<UInt32>,
                    service: Histogram<UInt32>, connectCall: Histogram<UInt32>, callRunning: Histogram<UInt32>? = nil) {
            self.startSeconds = startSeconds
            self.seconds = seconds
            self.latency = latency
            self.service = service
            self.connectCall = connectCall
            self.callRunning = callRunning
        }
    }
}
