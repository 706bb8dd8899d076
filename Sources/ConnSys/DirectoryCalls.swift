@preconcurrency import Glibc
import CConnShim

/// The directory calls a whole-folder write needs: list, fsync, swap.
public enum DirectoryCalls {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var isDirectory: Bool
    }

    /// The entries of `path` other than `.` and `..`.
    public static func list(_ path: String) throws(Errno) -> [Entry] {
        guard let dir = opendir(path) else { throw Errno(rawValue: errno) }
        defer { closedir(dir) }
        var out: [Entry] = []
        while let e = readdir(dir) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            let isDir = lstat(path + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            out.append(Entry(name: name, isDirectory: isDir))
        }
        return out
    }

    /// fsync on the directory itself: makes the names in it (creates, renames) durable.
    public static func sync(_ path: String) throws(Errno) {
        let fd = try syscall { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        _ = try syscall { fsync(fd) }
    }

    /// Swaps `a` and `b` in one step (renameat2 RENAME_EXCHANGE); EINVAL where the file
    /// system cannot.
    public static func exchange(_ a: String, _ b: String) throws(Errno) {
        _ = try syscall { cbs_rename_exchange(a, b) }
    }

    /// Removes `path`, its files and its folders `depth` levels down (deeper ones are
    /// left, and so is everything above them).
    public static func removeTree(_ path: String, depth: Int) {
        for e in (try? list(path)) ?? [] {
            if !e.isDirectory { unlink(path + "/" + e.name) } else if depth > 0 { removeTree(path + "/" + e.name, depth: depth - 1) }
        }
        rmdir(path)
    }

    /// Removes `path` and the regular files in it (nothing deeper).
    public static func removeFlat(_ path: String) {
        for e in (try? list(path)) ?? [] where !e.isDirectory { unlink(path + "/" + e.name) }
        rmdir(path)
    }
}
