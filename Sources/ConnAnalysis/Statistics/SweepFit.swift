import ConnModel

extension SweepReport {
    /// Fits the scalability law to a load sweep's throughput (established per second).
    package mutating func fitLoad() {
        guard axis.isLoad else { return }
        let points = steps.filter { !$0.interrupted }.compactMap { s in
            s.load.map { ScalabilityFit.Point(load: Double($0), throughput: s.establishedPerSecond) }
        }
        do throws(ScalabilityFit.Failure) {
            fit = try ScalabilityFit.fit(points)
        } catch {
            fitError = error.description
        }
    }
}
