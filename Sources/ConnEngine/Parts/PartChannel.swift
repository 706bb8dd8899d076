import ConnSys

/// A part's end of its supervisor's channel (``PartSupervisor``): its stdin and stdout.
/// Taking it makes the process a part: it dies with its supervisor's thread
/// (PR_SET_PDEATHSIG), leaves SIGINT and SIGTERM to the supervisor (blocked), and holds
/// as many descriptors as it may.
package struct PartChannel {
    package let reader: LineReader
    package let out: FileDescriptor

    package init() {
        ChildProcess.dieWithParent()
        StopSignals().block()
        ResourceLimits.raiseOpenFiles()
        reader = LineReader(FileDescriptor(rawValue: 0))
        out = FileDescriptor(rawValue: 1)
    }

    package func send<M: Encodable>(_ message: M) { MessageChannel.send(message, on: out) }

    /// What a line from the supervisor means to a part that waits for its start.
    package enum Cue {
        case go(atNs: UInt64)
        /// Stop (or close): the part ends without starting.
        case end
        case other
    }

    /// The supervisor's go; nil at its end, at EOF, or after `limitNs` without a line.
    package func awaitGo(limitNs: UInt64, _ cue: (String) -> Cue) -> UInt64? {
        while let line = reader.nextLine(timeoutNs: limitNs) {
            switch cue(line) {
            case .go(let at): return at
            case .end: return nil
            case .other: continue
            }
        }
        return nil
    }

    /// A thread that sets `flag` at the supervisor's end, at EOF, or after `limitNs` of
    /// silence; an end already read (with the go) sets it at once. During a run it stops
    /// the run; after it, joining the thread waits for the end.
    package func stop(_ flag: StopFlag, atEnd isEnd: @escaping @Sendable (String) -> Bool, limitNs: UInt64) throws(Errno) -> PosixThread {
        while let line = reader.takeLine() { if isEnd(line) { flag.stop() } }
        if reader.closed { flag.stop() }
        let fd = reader.fd
        return try PosixThread.spawn {
            let own = LineReader(fd)
            while !flag.isStopped, let line = own.nextLine(timeoutNs: limitNs), !isEnd(line) {}
            flag.stop()
        }
    }
}
