@preconcurrency import Glibc
import ConnSys
import Synchronization
import ConnModel

/// The listener's half of `--topology veth`: a thread in an anonymous namespace of its own
/// that builds the lab, runs the built-in listener there for the whole run, and at the end
/// reads that namespace's side of it.
///
/// Started from a thread in the generator's namespace. The listener's thread unshares,
/// applies `--listener-sysctl`, creates the veth pair with its peer end in the generator's
/// namespace (handed over as an fd), addresses its own end and starts the ``Listener``,
/// whose threads inherit the namespace. Nothing is named in /run/netns: the namespace goes
/// when its last thread ends, and the veth with it (a veth dies with either namespace), so
/// a killed run leaves nothing behind. Every failure path stops and joins the thread.
///
/// (The pair is created from the listener's side, peer in the generator's, rather than the
/// other way round: then the generator needs no second hand-over before the listener can
/// address its end and start — the same pair either way.)
final class ListenerNamespace: Sendable {
    typealias Failure = VethLabFailure

    /// What the listener's thread leaves when it ends.
    struct Outcome: Sendable {
        var side: ListenerSideReport
        var kernel: KernelContext
        var info: ListenerInfo
        var portNote: String?
    }

    private enum Phase: Sendable {
        case starting
        case ready(SocketAddress)
        case failed(Failure)
    }

    /// Set once by the listener's thread (ready or failed), polled by the starter. A lock,
    /// not a hot path: it is taken a few hundred times while the lab is built.
    private let phase = Mutex<Phase>(.starting)
    private let outcome = Mutex<Outcome?>(nil)
    private let stopFlag = StopFlag()
    private let thread = Mutex<PosixThread?>(nil)
    let options: VethOptions
    private let listenerConfig: ListenerConfig
    private let defaultCPUs: [Int]

    private init(options: VethOptions, listener: ListenerConfig, defaultCPUs: [Int]) {
        self.options = options
        self.listenerConfig = listener
        self.defaultCPUs = defaultCPUs
    }

    /// The listener's address (the lab's address of the chosen family, and its port);
    /// valid once ``start(options:listener:defaultCPUs:)`` returned.
    var address: SocketAddress {
        if case .ready(let a) = phase.withLock({ $0 }) { return a }
        return SocketAddress(ip: options.listenerIP, port: 0)!
    }

    /// Builds the lab from the calling thread, which must be in the generator's (fresh)
    /// namespace, and returns with the listener accepting at ``address``. On failure
    /// nothing of the lab is left.
    static func start(options: VethOptions, listener: ListenerConfig, defaultCPUs: [Int]) throws(Failure) -> ListenerNamespace {
        let lab = ListenerNamespace(options: options, listener: listener, defaultCPUs: defaultCPUs)
        let generatorNamespace: FileDescriptor
        do {
            generatorNamespace = try NetNamespace.openCurrent()
        } catch {
            throw .step("open the generator's namespace", error)
        }
        defer { NetNamespace.close(generatorNamespace) }
        do {
            let t = try PosixThread.spawn { lab.listenerThread(generatorNamespace: generatorNamespace) }
            lab.thread.withLock { $0 = t }
        } catch {
            throw .step("start the listener's thread", error)
        }
        while true {
            switch lab.phase.withLock({ $0 }) {
            case .starting:
                var ts = timespec(tv_sec: 0, tv_nsec: 200_000)
                nanosleep(&ts, nil)
                continue
            case .failed(let f):
                lab.stop()
                throw f
            case .ready:
                break
            }
            break
        }
        do throws(Failure) {
            try configureGeneratorEnd(options)
        } catch {
            lab.stop()
            throw error
        }
        return lab
    }

    /// The generator's end: its addresses, up, and the netem delay when asked for.
    private static func configureGeneratorEnd(_ o: VethOptions) throws(Failure) {
        let name = VethOptions.generatorInterface
        do throws(Errno) {
            try NetLink.addAddress(VethOptions.generatorIPv4, prefixLength: VethOptions.ipv4Prefix, interface: name)
            try NetLink.addAddress(VethOptions.generatorIPv6, prefixLength: VethOptions.ipv6Prefix, interface: name)
            try NetNamespace.setLinkUp(name)
        } catch {
            throw .step("configure \(name) in the generator's namespace", error)
        }
        if o.delayNs > 0 {
            do throws(Errno) { try NetLink.addNetemDelay(interface: name, delayNs: o.delayNs) } catch { throw .netem(error) }
        }
    }

    /// The listener's thread: builds its side, publishes the address, waits for the end of
    /// the run, then stops the listener and reads its namespace.
    private func listenerThread(generatorNamespace: FileDescriptor) {
        let listener: Listener
        let tunables: [RunReport.Setting]
        let countersBefore: [String: Int64]
        let identity: NamespaceIdentity?
        do throws(Failure) {
            do throws(NetNamespace.FreshThreadFailure) { try NetNamespace.enterFreshChecked() } catch { throw .enter(error) }
            for s in options.listenerSysctls {
                do throws(Errno) { try ProcFiles.write(ProcFiles.sysctlPath(s.key), s.value) } catch { throw .listenerSysctl(s, error) }
            }
            identity = NetNamespace.identity()
            tunables = KernelContext.readTunables()
            countersBefore = NetCounters.read()
            let name = VethOptions.listenerInterface
            do throws(Errno) {
                try NetLink.createVeth(name: name, peer: VethOptions.generatorInterface, peerNamespace: generatorNamespace)
            } catch {
                throw .step("create the veth pair \(name)/\(VethOptions.generatorInterface)", error)
            }
            do throws(Errno) {
                try NetLink.addAddress(VethOptions.listenerIPv4, prefixLength: VethOptions.ipv4Prefix, interface: name)
                try NetLink.addAddress(VethOptions.listenerIPv6, prefixLength: VethOptions.ipv6Prefix, interface: name)
                try NetNamespace.setLinkUp(name)
            } catch {
                throw .step("configure \(name) in the listener's namespace", error)
            }
            var config = listenerConfig
            config.address = SocketAddress(ip: options.listenerIP, port: config.address.port)!
            do throws(Listener.Failure) { listener = try Listener(config: config, defaultCPUs: defaultCPUs) } catch { throw .listener(error) }
        } catch {
            phase.withLock { $0 = .failed(error) }
            return
        }
        phase.withLock { $0 = .ready(listener.address) }
        while !stopFlag.isStopped {
            var ts = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&ts, nil)
        }
        listener.stop()
        let side = listener.sideReport()
        var kernel = KernelContext(release: KernelInfo.release(), namespace: "", sysctlsApplied: options.listenerSysctls,
                                   tunables: tunables,
                                   counters: KernelContext.deltas(before: countersBefore, after: NetCounters.read()))
        kernel.setNamespace(identity, createdForRun: true)
        kernel.timeWaitSides = TcpSocketTable.timeWaitSides(listenerPorts: [listener.address.port])
        let info = listener.info(close: listenerConfig.close)
        outcome.withLock { $0 = Outcome(side: side, kernel: kernel, info: info, portNote: listener.portNote) }
    }

    /// Ends the listener's thread (and with it the namespace and the veth) and returns what
    /// it read; nil when it never got as far as listening. Safe to call twice.
    @discardableResult
    func stop() -> Outcome? {
        stopFlag.stop()
        let t = thread.withLock { t -> PosixThread? in
            let old = t
            t = nil
            return old
        }
        t?.join()
        return outcome.withLock { $0 }
    }
}

/// Why the veth lab could not be built, in one line naming the flag.
public enum VethLabFailure: Error, CustomStringConvertible {
    case namespace(NamespaceRun.Failure)
    case enter(NetNamespace.FreshThreadFailure)
    case listenerSysctl(SysctlSetting, Errno)
    case step(String, Errno)
    case netem(Errno)
    case listener(Listener.Failure)

    public var description: String {
        switch self {
        case .namespace(let f): f.description
        case .enter(.enter(let e)), .enter(.thread(let e)):
            "--topology veth: could not create the listener's namespace: \(e.name) (\(e))"
        case .enter(.notIsolated):
            "--topology veth: the listener's thread is still in the generator's namespace after unshare; refusing to go on"
        case .listenerSysctl(let s, let e):
            e == .noSuchFileOrDirectory
                ? "--listener-sysctl \(s.key): no such tunable in a network namespace (only per-namespace net.* keys can be set)"
                : "--listener-sysctl \(s): the kernel refused it: \(e.name) (\(e))"
        case .step(let what, let e):
            "--topology veth: could not \(what): \(e.name) (\(e))"
        case .netem(let e):
            e == .noSuchFileOrDirectory || e.rawValue == EOPNOTSUPP
                ? "--delay needs the netem qdisc (sch_netem), which this kernel (\(KernelInfo.release())) does not have: adding it answered \(e.name)"
                : "--delay: the kernel refused the netem qdisc: \(e.name) (\(e))"
        case .listener(let f): f.description
        }
    }
}

/// The check `run` makes before it prints or starts anything.
package enum VethLabCheck {
    /// A throwaway lab, made and let go before a run prints or starts anything: the veth
    /// can be made, the listener's sysctls exist, and `--delay` has a netem to use.
    package static func check(_ options: VethOptions) throws(VethLabFailure) {
        let result: VethLabFailure?
        do {
            result = try NamespaceRun.run(sysctls: []) { () -> VethLabFailure? in
                for s in options.listenerSysctls {
                    do throws(Errno) { try ProcFiles.write(ProcFiles.sysctlPath(s.key), s.value) } catch { return .listenerSysctl(s, error) }
                }
                do throws(Errno) {
                    try NetLink.createVeth(name: VethOptions.generatorInterface, peer: VethOptions.listenerInterface, peerNamespace: nil)
                } catch {
                    return .step("create a veth pair", error)
                }
                if options.delayNs > 0 {
                    do throws(Errno) {
                        try NetLink.addNetemDelay(interface: VethOptions.generatorInterface, delayNs: options.delayNs)
                    } catch {
                        return .netem(error)
                    }
                }
                return nil
            }
        } catch {
            throw .namespace(error)
        }
        if let result { throw result }
    }
}
