import CZlib
import ConnModel

/// zlib streams (RFC 1950: header, deflate, Adler-32), as java.util.zip.Deflater writes them
/// by default and as HdrHistogram's compressed encoding wraps its payload.
enum Zlib {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `level` 9 is what HdrHistogram's log writer uses (Deflater.BEST_COMPRESSION).
    static func deflate(_ input: [UInt8], level: Int32 = 9) -> [UInt8] {
        var bound = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let rc = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                compress2(o.baseAddress, &bound, i.baseAddress, uLong(i.count), level)
            }
        }
        // compressBound is enough by zlib's contract, and memory is the only other failure.
        precondition(rc == Z_OK, "zlib compress2 failed: \(rc)")
        out.removeLast(out.count - Int(bound))
        return out
    }

    /// Inflates a whole zlib stream; refuses to grow past `limit` bytes.
    static func inflate(_ input: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        var capacity = Swift.max(4096, input.count * 8)
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            var length = uLong(capacity)
            let rc = out.withUnsafeMutableBufferPointer { o in
                input.withUnsafeBufferPointer { i in
                    uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count))
                }
            }
            switch rc {
            case Z_OK:
                out.removeLast(out.count - Int(length))
                return out
            case Z_BUF_ERROR where capacity < limit:
                capacity = Swift.min(limit, capacity * 4)
            default:
                throw Failure(description: rc == Z_BUF_ERROR ? "inflated data larger than \(limit) bytes"
                              : "not a zlib stream (zlib error \(rc))")
            }
        }
    }
}
