import ConnSys
import Glibc
import Testing

/// What only root may do here: make network namespaces (CAP_SYS_ADMIN), set sysctls in
/// them, add veth pairs, drop to another user, trace the kernel. A non-root
/// `swift test` skips the tests that need it with this reason instead of failing them;
/// everything else in this target still runs.
enum Privilege {
    static let isRoot = geteuid() == 0
}

extension Trait where Self == ConditionTrait {
    /// The test makes a network namespace or a veth lab, sets a namespace's sysctls, or
    /// traces the kernel.
    static var needsRoot: Self {
        .enabled(if: Privilege.isRoot, "needs root: it makes network namespaces or traces the kernel")
    }

    /// The test traces the kernel with bpftrace (root as well).
    static var needsBpftrace: Self {
        .enabled(if: SpawnedProgram.locate("bpftrace") != nil, "needs bpftrace")
    }

    /// The test keeps the generator and a competitor on CPUs of their own.
    static func needsTwoCPUs(_ cpus: [Int]) -> Self {
        .enabled(if: cpus.count >= 2, "needs two CPUs this process may use")
    }
}
