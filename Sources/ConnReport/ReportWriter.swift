@preconcurrency import Glibc
import ConnSys

/// The one place connbench writes files.
///
/// Each file is written to a temporary name in the target folder, flushed to disk, and
/// renamed over its final name only when all of them are complete: a reader sees a whole
/// report or none, even if the run is killed while writing.
public enum ReportWriter {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates `directory` (and parents) if needed and checks that files can be made in it.
    public static func prepare(directory: String) throws(Failure) {
        try makeDirectories(directory)
        let probe = directory + "/.connbench-write-test-\(getpid())"
        do {
            let fd = try FileDescriptor.open(probe, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite])
            try fd.close()
            _ = try syscall { unlink(probe) }
        } catch {
            throw Failure(description: "cannot write in output directory '\(directory)': \((error as? Errno)?.name ?? "\(error)")")
        }
    }

    /// Writes every file whole, then renames them all into place.
    public static func write(_ files: [(name: String, contents: String)], to directory: String) throws(Failure) {
        try prepare(directory: directory)
        var temps: [(String, String)] = []
        for f in files {
            let final = directory + "/" + f.name
            let temp = directory + "/." + f.name + ".tmp-\(getpid())"
            do {
                let fd = try FileDescriptor.open(temp, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
                try fd.closeAfter {
                    _ = try fd.writeAll(Array(f.contents.utf8))
                    _ = try syscall { fsync(fd.rawValue) }
                }
            } catch {
                for (t, _) in temps { _ = try? syscall { unlink(t) } }
                _ = try? syscall { unlink(temp) }
                throw Failure(description: "cannot write \(final): \((error as? Errno)?.name ?? "\(error)")")
            }
            temps.append((temp, final))
        }
        for (temp, final) in temps {
            do {
                _ = try syscall { rename(temp, final) }
            } catch {
                throw Failure(description: "cannot rename \(temp) to \(final): \(error.name)")
            }
        }
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
public enum RunFiles {
    public static func files(for r: ConnEngine.RunReport) -> [(name: String, contents: String)] {
        var files = [
            ("summary.txt", TextReporter.render(r)),
            ("summary.csv", CSVReporter.summary(r)),
            ("timeseries.csv", CSVReporter.timeseries(r)),
            ("errors.csv", CSVReporter.errors(r)),
            ("report.html", HTMLReporter.render(r)),
        ]
        // A report read back from before the interval histograms has no log to write.
        if let log = r.intervalHistograms { files.append(("latency.hlog", HistogramLogReporter.render(log))) }
        return files + PercentileReporter.files(for: r)
    }
}

import ConnEngine
