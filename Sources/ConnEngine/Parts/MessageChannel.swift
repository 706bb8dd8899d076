import ConnSys
import Foundation

/// A supervisor and its parts speak Codable messages, one JSON object per line.
package enum MessageChannel {
    @discardableResult
    package static func send<M: Encodable>(_ message: M, on fd: FileDescriptor) -> Bool {
        guard let data = try? JSONEncoder().encode(message) else { return false }
        return ChannelIO.sendAll(fd, String(decoding: data, as: UTF8.self) + "\n")
    }

    /// The message a line holds; nil for a line that is not one (said as such by callers).
    package static func decode<M: Decodable>(_ line: String, as type: M.Type) -> M? {
        try? JSONDecoder().decode(M.self, from: Data(line.utf8))
    }
}
