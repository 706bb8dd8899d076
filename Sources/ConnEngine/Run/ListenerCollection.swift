import ConnSys
import ConnModel

/// What the run's listeners and the TIME_WAIT table say once the workers have joined:
/// the built-in listener's figures, a veth lab's namespace report, and who holds TIME_WAIT.
struct ListenerCollection {
    var info: ListenerInfo?
    var namespace: ListenerNamespaceReport?
    var timeWaitSides: TimeWaitSides?
    var notes: [String] = []

    /// Stops the listeners (they are nil in `listeners` afterwards).
    init(_ listeners: inout RunListeners, config: RunConfig) {
        // A kept-open run closes nothing before its report (and then with RST): no
        // TIME_WAIT to find, and the scan of every socket would cost the other parts.
        timeWaitSides = config.keepOpen != nil ? nil : Self.timeWaitSides(targets: listeners.targets, inLab: listeners.lab != nil)
        if let listener = listeners.listener {
            if let note = listener.portNote { notes.append(note) }
            listener.stop()
            info = listener.info(close: config.listener.close)
            listeners.listener = nil
        }
        if let lab = listeners.lab, let side = lab.stop() {
            if let note = side.portNote { notes.append(note) }
            info = side.info
            if let own = timeWaitSides, let theirs = side.kernel.timeWaitSides {
                timeWaitSides = TimeWaitSides(clientSide: own.clientSide, listenerSide: theirs.listenerSide,
                                              other: own.other + own.listenerSide + theirs.clientSide + theirs.other)
            }
            namespace = ListenerNamespaceReport(
                family: config.veth.family, generatorInterface: VethOptions.generatorInterface,
                listenerInterface: VethOptions.listenerInterface, generatorAddress: config.veth.generatorIP,
                listenerAddress: lab.address.description, delayNs: config.veth.delayNs > 0 ? config.veth.delayNs : nil,
                kernel: side.kernel, side: side.side)
        }
        listeners.lab = nil
    }

    /// Who holds TIME_WAIT, once at the end, where both ends live in this namespace; in a
    /// veth lab, the client's in this namespace and the listener's in its own. A remote
    /// target's listener is not in this namespace, but this side's TIME_WAIT towards it
    /// is: the port budget checks its premise against it.
    static func timeWaitSides(targets: [SocketAddress], inLab: Bool) -> TimeWaitSides? {
        let tcpTargets = targets.filter { $0.family != .unix }
        let remoteOnly = !inLab && !tcpTargets.isEmpty && !tcpTargets.contains(where: \.isLoopback)
        let localPorts = (!inLab && !remoteOnly ? tcpTargets.filter(\.isLoopback) : tcpTargets).map(\.port)
        guard !localPorts.isEmpty, var tw = TcpSocketTable.timeWaitSides(listenerPorts: localPorts) else { return nil }
        if remoteOnly {
            tw.other += tw.listenerSide
            tw.listenerSide = 0
            tw.listenerElsewhere = true
        }
        return tw
    }
}
