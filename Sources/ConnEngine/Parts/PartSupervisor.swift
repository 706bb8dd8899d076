@preconcurrency import Glibc
import ConnSys

/// What a part said on its channel.
package enum PartSaid<Message> {
    case message(Message)
    /// A line that is not a message (callers note it, never trust it).
    case notAMessage(String)
}

/// Copies of connbench started as parts of one job, each speaking `Up` to the supervisor
/// and hearing `Down` from it, one JSON object per line on a socketpair that is the
/// part's stdin and stdout (``ChildProcess``).
///
/// A part never outlives its supervisor: it asks for SIGKILL when the spawning thread
/// ends (PR_SET_PDEATHSIG, ``ChildProcess/dieWithParent()``), it closes everything at EOF
/// on its channel, and ``reapAll(graceNs:)`` (also run when the supervisor goes away)
/// kills whatever has not exited in time. Parts start with SIGINT and SIGTERM blocked: the
/// supervisor takes Ctrl-C and tells them (``send(_:to:)``), so each reports before it ends.
///
/// Started from the calling thread, so the parts share its network namespace.
package final class PartSupervisor<Up: Decodable, Down: Encodable> {
    package private(set) var children: [ChildProcess] = []
    private var readers: [LineReader] = []
    /// Parts whose channel reached EOF (exited, or closed it).
    package private(set) var ended: Set<Int> = []

    package init() {}

    deinit { _ = reapAll(graceNs: 0) }

    package var count: Int { children.count }
    package var running: [Int] { children.indices.filter { !ended.contains($0) } }

    /// Starts `connbench <arguments>`; returns the part's index.
    package func start(_ arguments: [String]) throws(Errno) -> Int {
        let child = try ChildProcess.spawnSelf(arguments: arguments)
        children.append(child)
        readers.append(LineReader(child.channel))
        return children.count - 1
    }

    @discardableResult
    package func send(_ message: Down, to k: Int) -> Bool { MessageChannel.send(message, on: children[k].channel) }

    package func sendAll(_ message: Down) { for k in children.indices { send(message, to: k) } }

    /// Part k's next line within `timeoutNs`; nil when none came (or its channel ended).
    package func next(from k: Int, timeoutNs: UInt64) -> PartSaid<Up>? {
        guard let line = readers[k].nextLine(timeoutNs: timeoutNs) else {
            if readers[k].closed { ended.insert(k) }
            return nil
        }
        return said(line)
    }

    /// One poll over the running parts among `indices` (all when nil), up to `timeoutMs`;
    /// every line that came is handed to `take` with its part's index.
    package func poll(_ indices: [Int]? = nil, timeoutMs: Int32, _ take: (Int, PartSaid<Up>) -> Void) {
        let watched = (indices ?? Array(children.indices)).filter { !ended.contains($0) }
        var pfds = watched.map { pollfd(fd: children[$0].channel.rawValue, events: Int16(POLLIN), revents: 0) }
        guard !pfds.isEmpty else { usleep(UInt32(timeoutMs) * 1000); return }
        guard ((try? syscall { Glibc.poll(&pfds, nfds_t(pfds.count), timeoutMs) }) ?? 0) > 0 else { return }
        for (j, k) in watched.enumerated() where pfds[j].revents != 0 {
            readers[k].fill()
            while let line = readers[k].takeLine() { take(k, said(line)) }
            if readers[k].closed { ended.insert(k) }
        }
    }

    private func said(_ line: String) -> PartSaid<Up> {
        MessageChannel.decode(line, as: Up.self).map { .message($0) } ?? .notAMessage(String(line.prefix(80)))
    }

    /// Waits up to `graceNs` for every part to exit, then kills (SIGKILL) and reaps the
    /// rest; returns their indices. The channels are closed after.
    package func reapAll(graceNs: UInt64) -> [Int] {
        var left = Set(children.indices)
        let end = MonotonicClock.now() + graceNs
        while true {
            for k in left where children[k].reap(block: false) != nil { left.remove(k) }
            if left.isEmpty || MonotonicClock.now() >= end { break }
            usleep(20_000)
        }
        for k in left {
            children[k].signal(SIGKILL)
            _ = children[k].reap(block: true)
        }
        for c in children { c.channel.closeSocket() }
        children = []
        readers = []
        ended = []
        return left.sorted()
    }
}
