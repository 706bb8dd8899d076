import ConnModel
/// Where a value lives in an HdrHistogram counts array, for a given lowest discernible
/// value, highest trackable value and number of significant digits.
///
/// The encoded form is the counts array itself, so encoder and decoder must index it the
/// way every HdrHistogram does (Java, C, Python): buckets of `subBucketCount` sub-buckets,
/// each bucket after the first using only its upper half. hdrhistogram-swift indexes the
/// same way but keeps its counts internal; this recomputes the mapping from the three
/// parameters the encoding's header carries, and the tests check it against the library's
/// equivalence ranges for every index.
struct HdrCountsLayout: Equatable {
    let unitMagnitude: Int
    let subBucketHalfCountMagnitude: Int
    let bucketCount: Int

    var subBucketCount: Int { 1 << (subBucketHalfCountMagnitude + 1) }
    var subBucketHalfCount: Int { 1 << subBucketHalfCountMagnitude }
    var countsLength: Int { (bucketCount + 1) * subBucketHalfCount }

    /// nil for parameters no HdrHistogram accepts (lowest 0, highest < 2 × lowest, digits
    /// outside 0…5, or too many bits).
    init?(lowest: UInt64, highest: UInt64, digits: Int) {
        guard lowest >= 1, lowest <= UInt64.max / 2, highest >= 2 * lowest, (0...5).contains(digits) else { return nil }
        var largestSingleUnit: UInt64 = 2
        for _ in 0..<digits { largestSingleUnit *= 10 }
        unitMagnitude = 63 - lowest.leadingZeroBitCount                  // floor(log2(lowest))
        let subBucketCountMagnitude = 64 - (largestSingleUnit - 1).leadingZeroBitCount  // ceil(log2)
        subBucketHalfCountMagnitude = Swift.max(subBucketCountMagnitude, 1) - 1
        guard unitMagnitude + subBucketHalfCountMagnitude <= 61 else { return nil }
        // Buckets needed so that the top one reaches `highest`.
        var smallestUntrackable = UInt64(1 << (subBucketHalfCountMagnitude + 1)) << UInt64(unitMagnitude)
        var buckets = 1
        while smallestUntrackable <= highest {
            if smallestUntrackable > UInt64.max / 2 { buckets += 1; break }
            smallestUntrackable <<= 1
            buckets += 1
        }
        bucketCount = buckets
    }

    func index(of value: UInt64) -> Int {
        let mask = UInt64(subBucketCount - 1) << UInt64(unitMagnitude)
        let leadingZeroCountBase = 64 - unitMagnitude - subBucketHalfCountMagnitude - 1
        let bucket = leadingZeroCountBase - (value | mask).leadingZeroBitCount
        let subBucket = Int(value >> UInt64(bucket + unitMagnitude))
        return ((bucket + 1) << subBucketHalfCountMagnitude) + (subBucket - subBucketHalfCount)
    }

    /// The lowest value counted at `index`.
    func value(at index: Int) -> UInt64 {
        var bucket = (index >> subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            subBucket -= subBucketHalfCount
            bucket = 0
        }
        return UInt64(subBucket) << UInt64(bucket + unitMagnitude)
    }
}
