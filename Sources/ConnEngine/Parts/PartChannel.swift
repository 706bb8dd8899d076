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
}
