import Histogram
import ConnModel

/// HdrHistogram's V2 encoding, the form `latency.hlog` carries each histogram in, so that
/// HdrHistogram's own tools (HistogramLogProcessor, the Python `hdrh`, the C library) read
/// connbench's logs. hdrhistogram-swift 0.2.0 has neither encoder nor decoder.
///
/// Uncompressed (cookie 0x1c849313), big-endian:
///
///     cookie u32 | payload length u32 | normalizingIndexOffset u32 | significant digits u32
///     | lowestDiscernibleValue u64 | highestTrackableValue u64
///     | integerToDoubleValueConversionRatio f64 | payload
///
/// The payload is the counts array up to the maximum's index, each count a ZigZag LEB128
/// integer (at most 9 bytes, the 9th holding 8 bits), a run of k > 1 zeros written as -k.
/// Compressed (cookie 0x1c849314): cookie u32 | length u32 | the uncompressed form deflated
/// as a zlib stream. The cookies' 0x10 is the word-size nibble that marks V2.
package enum HdrHistogramEncoding {
    static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10
    static let headerSize = 40

    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let description: String
    }

    // MARK: encoding

    /// The uncompressed V2 form.
    package static func encode<C>(_ h: Histogram<C>) -> [UInt8] {
        let digits = Int(h.numberOfSignificantValueDigits.rawValue)
        guard let layout = HdrCountsLayout(lowest: h.lowestDiscernibleValue, highest: h.highestTrackableValue, digits: digits) else {
            preconditionFailure("a histogram's own parameters always make a layout")
        }
        // The counts up to the highest non-zero one; an empty histogram writes one zero,
        // as the Java encoder does (its maximum is 0, at index 0).
        var counts: [UInt64] = []
        if h.totalCount > 0 {
            for iv in h.recordedValues() {
                let i = layout.index(of: iv.value)
                if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i + 1 - counts.count)) }
                counts[i] += UInt64(iv.count)
            }
        }
        if counts.isEmpty { counts = [0] }
        var payload: [UInt8] = []
        var i = 0
        while i < counts.count {
            if counts[i] == 0 {
                var zeros = 1
                while i + zeros < counts.count && counts[i + zeros] == 0 { zeros += 1 }
                putZigZag(&payload, zeros > 1 ? -Int64(zeros) : 0)
                i += zeros
            } else {
                putZigZag(&payload, Int64(clamping: counts[i]))
                i += 1
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + payload.count)
        put32(&out, encodingCookie)
        put32(&out, UInt32(payload.count))
        put32(&out, 0)                                   // normalizingIndexOffset
        put32(&out, UInt32(digits))
        put64(&out, h.lowestDiscernibleValue)
        put64(&out, h.highestTrackableValue)
        put64(&out, (1.0 as Double).bitPattern)          // integerToDoubleValueConversionRatio
        out += payload
        return out
    }

    /// The compressed V2 form: what a log line carries, before base64.
    package static func encodeCompressed<C>(_ h: Histogram<C>) -> [UInt8] {
        let deflated = Zlib.deflate(encode(h))
        var out: [UInt8] = []
        out.reserveCapacity(8 + deflated.count)
        put32(&out, compressedCookie)
        put32(&out, UInt32(deflated.count))
        return out + deflated
    }

    package static func base64<C>(_ h: Histogram<C>) -> String {
        Base64.encode(encodeCompressed(h))
    }

    // MARK: decoding

    /// Decodes either form (compressed or not) into a histogram with the encoded
    /// parameters. Counts land on each bucket's lowest value, so `minNonZero`, `max` and
    /// the percentiles answer as the encoder's histogram did, within its precision.
    /// The largest counts array a decoded histogram may have: 2^22 buckets (32 MiB), past
    /// any layout connbench or a latency tool uses (1 ns to an hour at 5 digits is 2^22).
    static let maxCountsLength = 1 << 22

    package static func decode(_ bytes: [UInt8]) throws(Failure) -> Histogram<UInt64> {
        guard bytes.count >= 8 else { throw Failure(description: "encoded histogram too short (\(bytes.count) bytes)") }
        let cookie = get32(bytes, 0)
        if cookie == compressedCookie {
            let length = Int(get32(bytes, 4))
            guard length == bytes.count - 8 else {
                throw Failure(description: "compressed length \(length) but \(bytes.count - 8) bytes follow")
            }
            let inflated: [UInt8]
            do { inflated = try Zlib.inflate(Array(bytes[8...])) } catch { throw Failure(description: error.description) }
            guard inflated.count >= 8, get32(inflated, 0) == encodingCookie else {
                throw Failure(description: "compressed payload is not a V2 encoded histogram")
            }
            return try decode(inflated)
        }
        guard cookie == encodingCookie else {
            throw Failure(description: "not a V2 encoded histogram (cookie 0x\(String(cookie, radix: 16)))")
        }
        guard bytes.count >= headerSize else { throw Failure(description: "V2 header cut short (\(bytes.count) bytes)") }
        let payloadLength = Int(get32(bytes, 4))
        let normalizingOffset = get32(bytes, 8)
        let digits = Int(get32(bytes, 12))
        let lowest = get64(bytes, 16)
        let highest = get64(bytes, 24)
        let ratio = Double(bitPattern: get64(bytes, 32))
        guard payloadLength <= bytes.count - headerSize else {
            throw Failure(description: "payload length \(payloadLength) but \(bytes.count - headerSize) bytes follow")
        }
        guard normalizingOffset == 0, ratio == 1.0 else {
            throw Failure(description: "shifted or double histograms are not supported (offset \(normalizingOffset), ratio \(ratio))")
        }
        guard let layout = HdrCountsLayout(lowest: lowest, highest: highest, digits: digits),
              let sig = SignificantDigits(rawValue: Int8(digits)) else {
            throw Failure(description: "invalid parameters: lowest \(lowest), highest \(highest), \(digits) digits")
        }
        guard layout.countsLength <= maxCountsLength else {
            throw Failure(description: "\(layout.countsLength) buckets (lowest \(lowest), highest \(highest), \(digits) digits): more than \(maxCountsLength)")
        }
        var h = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: highest, numberOfSignificantValueDigits: sig)
        var at = headerSize
        let end = headerSize + payloadLength
        var index = 0
        var sum = ReadLimits.HistogramSum()
        while at < end {
            let v = try getZigZag(bytes, &at, end: end)
            // A negative count is a run of zeros; either way the index stays in the array.
            let skip = v < 0 ? v.magnitude : 1
            guard skip <= UInt64(layout.countsLength - index) else {
                throw Failure(description: "counts run past the counts array (\(layout.countsLength))")
            }
            if v > 0 {
                let value = layout.value(at: index)
                guard sum.add(count: UInt64(v), at: h.highestEquivalentForValue(value)) else {
                    throw Failure(description: "counts past what a run can have (2^52 values, or 2^56 in all)")
                }
                h.record(value, count: UInt64(v))
            }
            index += Int(skip)
        }
        return h
    }

    package static func decode(base64 text: some StringProtocol) throws(Failure) -> Histogram<UInt64> {
        guard let bytes = Base64.decode(text) else { throw Failure(description: "not base64") }
        return try decode(bytes)
    }

    // MARK: bytes

    static func putZigZag(_ out: inout [UInt8], _ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if v >> 7 == 0 { out.append(UInt8(v)); return }
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))                             // the 9th byte: all 8 bits
    }

    static func getZigZag(_ bytes: [UInt8], _ at: inout Int, end: Int) throws(Failure) -> Int64 {
        var v: UInt64 = 0
        for k in 0..<9 {
            guard at < end else { throw Failure(description: "payload ends inside a count") }
            let b = bytes[at]
            at += 1
            if k == 8 { v |= UInt64(b) << 56; break }
            v |= UInt64(b & 0x7f) << UInt64(7 * k)
            if b & 0x80 == 0 { break }
        }
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    static func put32(_ out: inout [UInt8], _ v: UInt32) {
        for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }

    static func put64(_ out: inout [UInt8], _ v: UInt64) {
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
    }

    static func get32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(b[at + $1]) }
    }

    static func get64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 << 8 | UInt64(b[at + $1]) }
    }
}
