import Histogram

/// Lets a report coded to JSON carry each histogram as one string, HdrHistogram's V2
/// encoding in base64 (lossless, and what every HdrHistogram library reads), instead of
/// the synthesized Codable form (every count, thousands of zeros). The codec lives in
/// ConnReport, which has zlib; an encoder or decoder that wants it sets
/// `userInfo[HistogramTextCoding.key]`. Without it histograms code as they always did.
package protocol HistogramTextCodec: Sendable {
    func encode<C>(_ h: Histogram<C>) -> String
    func decode<C>(_ text: String, as: C.Type) throws -> Histogram<C>
}

package enum HistogramTextCoding {
    package static let key = CodingUserInfoKey(rawValue: "connbench.histogramTextCodec")!

    static func encode<C, K: CodingKey>(_ h: Histogram<C>, _ field: K, _ c: inout KeyedEncodingContainer<K>, _ encoder: any Encoder) throws {
        if let codec = encoder.userInfo[key] as? any HistogramTextCodec {
            try c.encode(codec.encode(h), forKey: field)
        } else {
            try c.encode(h, forKey: field)
        }
    }

    /// An optional histogram: absent from the JSON when nil, nil when absent (older reports).
    static func encodeIfPresent<C, K: CodingKey>(_ h: Histogram<C>?, _ field: K, _ c: inout KeyedEncodingContainer<K>, _ encoder: any Encoder) throws {
        if let h { try encode(h, field, &c, encoder) }
    }

    static func decodeIfPresent<C, K: CodingKey>(_ field: K, _ c: KeyedDecodingContainer<K>, _ decoder: any Decoder) throws -> Histogram<C>? {
        c.contains(field) ? try decode(field, c, decoder) : nil
    }

    static func decode<C, K: CodingKey>(_ field: K, _ c: KeyedDecodingContainer<K>, _ decoder: any Decoder) throws -> Histogram<C> {
        if let codec = decoder.userInfo[key] as? any HistogramTextCodec {
            let text = try c.decode(String.self, forKey: field)
            do { return try codec.decode(text, as: C.self) } catch {
                throw DecodingError.dataCorruptedError(forKey: field, in: c, debugDescription: "histogram: \(error)")
            }
        }
        return try c.decode(Histogram<C>.self, forKey: field)
    }
}

extension RunReport.Histograms {
    enum CodingKeys: String, CodingKey { case latency, service, connectCall, callRunning, serviceRunning }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try HistogramTextCoding.encode(latency, .latency, &c, encoder)
        try HistogramTextCoding.encode(service, .service, &c, encoder)
        try HistogramTextCoding.encode(connectCall, .connectCall, &c, encoder)
        try HistogramTextCoding.encodeIfPresent(callRunning, .callRunning, &c, encoder)
        try HistogramTextCoding.encodeIfPresent(serviceRunning, .serviceRunning, &c, encoder)
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latency = try HistogramTextCoding.decode(.latency, c, decoder)
        service = try HistogramTextCoding.decode(.service, c, decoder)
        connectCall = try HistogramTextCoding.decode(.connectCall, c, decoder)
        callRunning = try HistogramTextCoding.decodeIfPresent(.callRunning, c, decoder)
        serviceRunning = try HistogramTextCoding.decodeIfPresent(.serviceRunning, c, decoder)
    }
}

extension IntervalHistograms.Row {
    enum CodingKeys: String, CodingKey { case startSeconds, seconds, latency, service, connectCall, callRunning }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(startSeconds, forKey: .startSeconds)
        try c.encode(seconds, forKey: .seconds)
        try HistogramTextCoding.encode(latency, .latency, &c, encoder)
        try HistogramTextCoding.encode(service, .service, &c, encoder)
        try HistogramTextCoding.encode(connectCall, .connectCall, &c, encoder)
        try HistogramTextCoding.encodeIfPresent(callRunning, .callRunning, &c, encoder)
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(startSeconds: try c.decode(Double.self, forKey: .startSeconds),
                  seconds: try c.decode(Double.self, forKey: .seconds),
                  latency: try HistogramTextCoding.decode(.latency, c, decoder),
                  service: try HistogramTextCoding.decode(.service, c, decoder),
                  connectCall: try HistogramTextCoding.decode(.connectCall, c, decoder),
                  callRunning: try HistogramTextCoding.decodeIfPresent(.callRunning, c, decoder))
    }
}
