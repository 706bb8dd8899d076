@preconcurrency import Glibc
import ConnSys
import ConnModel

/// The one place connbench writes files.
///
/// Folder writes are whole: every file is written into a hidden sibling folder
/// (`.NAME.tmp-PID`) and fsynced, that folder is fsynced, and then it is swapped with the
/// final folder in one step (renameat2 RENAME_EXCHANGE) and the parent fsynced. Files
/// already in the final folder that this write does not replace are hard-linked into the
/// new one first, so nothing of the user's is lost and a reader never sees old and new
/// files side by side. What a crash leaves:
/// - before the swap: the old folder untouched, and a stale hidden `.NAME.tmp-PID`;
/// - after the swap: the new folder whole, and the old one under the hidden name (the next
///   write of the same folder by the same PID clears it; otherwise delete it by hand);
/// - on a file system without RENAME_EXCHANGE the old folder is first renamed to
///   `.NAME.old-PID` and the new one renamed into place: between those two renames NAME is
///   missing, and the old folder is whole under the hidden name.
package enum ReportWriter {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// Creates `directory` (and parents) if needed and checks that files can be made in it
    /// and that it can be replaced whole (not `.`, no folders inside).
    package static func prepare(directory: String) throws(Failure) {
        try makeDirectories(directory)
        _ = try replaceable(directory)
        let probe = directory + "/.connbench-write-test-\(getpid())"
        do {
            let fd = try FileDescriptor.open(probe, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite])
            try fd.close()
            _ = try syscall { unlink(probe) }
        } catch {
            throw Failure(description: "cannot write in output directory '\(directory)': \((error as? Errno)?.name ?? "\(error)")")
        }
    }

    /// Folders connbench writes inside an output folder (`run --processes`: each part's
    /// report under `parts/part-K/`): replaced whole with the folder, never kept.
    package static let ownFolders: Set<String> = ["parts"]

    /// Writes every file whole into a new folder and swaps it into place of `directory`.
    /// A name may hold a path under one of ``ownFolders`` (`parts/part-0/report.json`).
    package static func write(_ files: [(name: String, contents: String)], to directory: String) throws(Failure) {
        try prepare(directory: directory)
        let path = trimmed(directory)
        let (parent, base) = split(path)
        let temp = parent + "/." + base + ".tmp-\(getpid())"
        func fail(_ what: String, _ e: Errno) -> Failure {
            DirectoryCalls.removeTree(temp, depth: 2)
            return Failure(description: "\(what): \(e.name)")
        }
        DirectoryCalls.removeTree(temp, depth: 2)
        do { _ = try syscall { mkdir(temp, 0o755) } } catch { throw Failure(description: "cannot create \(temp): \(error.name)") }
        // Keep what the folder held besides the files written now.
        let names = Set(files.map(\.name))
        for e in try replaceable(path) where !names.contains(e.name) && !e.isDirectory && !e.name.hasPrefix(".connbench-write-test-") {
            do { _ = try syscall { link(path + "/" + e.name, temp + "/" + e.name) } } catch { throw fail("cannot keep \(path)/\(e.name)", error) }
        }
        for f in files {
            let file = temp + "/" + f.name
            if let slash = f.name.lastIndex(of: "/") {
                let folder = String(f.name[..<slash])
                guard let top = folder.split(separator: "/").first, ownFolders.contains(String(top)), !folder.contains("..") else {
                    throw fail("cannot write \(path)/\(f.name)", .invalidArgument)
                }
                do { try makeDirectories(temp + "/" + folder) } catch {
                    DirectoryCalls.removeTree(temp, depth: 2)
                    throw error
                }
            }
            do {
                let fd = try FileDescriptor.open(file, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
                try fd.closeAfter {
                    _ = try fd.writeAll(Array(f.contents.utf8))
                    _ = try syscall { fsync(fd.rawValue) }
                }
            } catch {
                throw fail("cannot write \(path)/\(f.name)", (error as? Errno) ?? .ioError)
            }
        }
        // Every folder written, deepest first (`parts/part-0`, then `parts`).
        let folders = Set(files.flatMap { f -> [String] in
            let parts = f.name.split(separator: "/").dropLast()
            return parts.indices.map { parts[parts.startIndex...$0].joined(separator: "/") }
        })
        for folder in folders.sorted(by: >) {
            do { try DirectoryCalls.sync(temp + "/" + folder) } catch { throw fail("cannot fsync \(temp)/\(folder)", error) }
        }
        do { try DirectoryCalls.sync(temp) } catch { throw fail("cannot fsync \(temp)", error) }
        do {
            try DirectoryCalls.exchange(temp, path)
            // `temp` now names the old folder.
        } catch {
            let aside = parent + "/." + base + ".old-\(getpid())"
            DirectoryCalls.removeTree(aside, depth: 2)
            do { _ = try syscall { rename(path, aside) } } catch { throw fail("cannot move \(path) aside", error) }
            do { _ = try syscall { rename(temp, path) } } catch {
                _ = try? syscall { rename(aside, path) }
                throw fail("cannot rename \(temp) to \(path)", error)
            }
            _ = try? DirectoryCalls.sync(parent)
            DirectoryCalls.removeTree(aside, depth: 2)
            return
        }
        do { try DirectoryCalls.sync(parent) } catch { throw Failure(description: "cannot fsync \(parent): \(error.name)") }
        DirectoryCalls.removeTree(temp, depth: 2)
    }

    /// The folder's entries, or why it cannot be replaced whole.
    static func replaceable(_ directory: String) throws(Failure) -> [DirectoryCalls.Entry] {
        let path = trimmed(directory)
        let last = split(path).base
        if last == "." || last == ".." || path == "/" {
            throw Failure(description: "output directory '\(directory)' cannot be replaced whole: name a folder (e.g. ./results)")
        }
        let entries: [DirectoryCalls.Entry]
        do { entries = try DirectoryCalls.list(path) } catch { throw Failure(description: "cannot read output directory '\(directory)': \(error.name)") }
        if let d = entries.first(where: { $0.isDirectory && !ownFolders.contains($0.name) }) {
            throw Failure(description: "output directory '\(directory)' holds a folder (\(d.name)): connbench replaces its output folder whole; name a new or flat one")
        }
        return entries
    }

    static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    static func split(_ path: String) -> (parent: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }

    static func makeDirectories(_ path: String) throws(Failure) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            do {
                _ = try syscall { mkdir(prefix, 0o755) }
            } catch {
                if error != .fileExists {
                    throw Failure(description: "cannot create output directory '\(path)': \(error.name)")
                }
            }
            prefix += "/"
        }
        var st = stat()
        if (try? syscall { stat(path, &st) }) == nil || (st.st_mode & S_IFMT) != S_IFDIR {
            throw Failure(description: "output path '\(path)' is not a directory")
        }
    }
}

/// The files a run writes with `--output`.
package enum RunFiles {
    package static func files(for r: ConnModel.RunReport) -> [(name: String, contents: String)] {
        var files = [
            ("summary.txt", TextReporter.render(r)),
            ("summary.csv", CSVReporter.summary(r)),
            ("timeseries.csv", CSVReporter.timeseries(r)),
            ("errors.csv", CSVReporter.errors(r)),
            ("report.json", ReportJSON.render(r)),
            ("report.html", HTMLReporter.render(r)),
        ]
        // A report read back from before the interval histograms has no log to write.
        if let log = r.intervalHistograms { files.append(("latency.hlog", HistogramLogReporter.render(log))) }
        return files + PercentileReporter.files(for: r)
    }
}

