import ConnModel
/// The bpftrace program of a kernel trace, filtered to one process and its named threads.
///
/// Why each probe is filtered the way it is: syscall and SYN_SENT events run in the calling
/// thread, so `tid` names it; the SYN_SENT → ESTABLISHED step usually runs in softirq, in
/// whatever thread the CPU was running, so it is matched by socket address instead; the
/// scheduler's events run in the waker's or the previous thread's context and name the
/// traced thread in their arguments. io_uring's connects never enter the connect syscall;
/// its inline attempts put the socket in SYN_SENT from the submitting thread, and the
/// attempts it hands to io-wq workers (`iou-wrk-*`, other tids of the same process) are
/// matched by thread name — of any ring of the process, traced threads' or not.
package struct KernelTraceProgram: Sendable, Equatable {
    package static let attachedMarker = "connbench-kernel-trace-attached"
    package static let timeLimitMarker = "connbench-kernel-trace-time-limit"

    package var pid: Int32
    package var tids: [Int32]
    package var timeLimitSeconds: Int

    package init(pid: Int32, tids: [Int32], timeLimitSeconds: Int) {
        self.pid = pid
        self.tids = tids
        self.timeLimitSeconds = timeLimitSeconds
    }

    package var text: String {
        let mine = tids.map { "tid == \($0)" }.joined(separator: " || ")
        let named = { (field: String) in tids.map { "\(field) == \($0)" }.joined(separator: " || ") }
        let bucket = KernelTraceBuckets.bpftraceStatements
        let unit = KernelTraceBuckets.unitNs
        typealias M = KernelTraceMap
        // A switch-out with no sleeping state bit (the low byte of prev_state) left the thread
        // runnable: it was preempted or yielded. Older kernels flag preemption in a higher bit.
        return """
        BEGIN { printf("\(Self.attachedMarker)\\n"); }
        tracepoint:syscalls:sys_enter_connect /pid == \(pid) && (\(mine))/ { @ts[tid] = nsecs; }
        tracepoint:syscalls:sys_exit_connect /@ts[tid]/ {
          $v = (nsecs - @ts[tid]) / \(unit); \(bucket) \(M.call.at)[$b] = count(); \(M.ret.at)[args->ret] = count(); delete(@ts[tid]); }
        tracepoint:sock:inet_sock_set_state /args->newstate == 2 && pid == \(pid) && (\(mine) || strncmp(comm, "iou-wrk-", 8) == 0)/ {
          @syn[args->skaddr] = nsecs; \(M.synSent.at) = count(); }
        tracepoint:sock:inet_sock_set_state /args->oldstate == 2 && @syn[args->skaddr]/ {
          if (args->newstate == 1) { $v = (nsecs - @syn[args->skaddr]) / \(unit); \(bucket) \(M.handshake.at)[$b] = count(); }
          delete(@syn[args->skaddr]); }
        tracepoint:sched:sched_wakeup,tracepoint:sched:sched_wakeup_new /\(named("args->pid"))/ { @qt[args->pid] = nsecs; }
        tracepoint:sched:sched_switch /(args->prev_state & 0xff) == 0 && (\(named("args->prev_pid")))/ { @qt[args->prev_pid] = nsecs; }
        tracepoint:sched:sched_switch /(\(named("args->next_pid"))) && @qt[args->next_pid]/ {
          $v = (nsecs - @qt[args->next_pid]) / \(unit); \(bucket) \(M.runQueue.at)[$b] = count(); delete(@qt[args->next_pid]); }
        interval:s:\(max(1, timeLimitSeconds)) { printf("\(Self.timeLimitMarker)\\n"); exit(); }
        END { clear(@ts); clear(@syn); clear(@qt); }
        """
    }
}

/// The maps the trace prints at its end, named once for the program that fills them and
/// the parser that reads them (``KernelTraceOutput``). `@ts`, `@syn` and `@qt` are the
/// program's scratch, cleared before it ends.
package enum KernelTraceMap: String, CaseIterable {
    /// connect()'s time in the kernel, by bucket.
    case call
    /// connect()'s return values.
    case ret
    /// SYNs sent (a plain count).
    case synSent = "synsent"
    /// SYN sent to established, by bucket.
    case handshake
    /// Time runnable before running, by bucket.
    case runQueue = "runq"

    package var at: String { "@" + rawValue }
}
