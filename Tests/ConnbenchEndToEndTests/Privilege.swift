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
    /// The test makes a network namespace, a veth lab, or sets a namespace's sysctls.
    static var needsRoot: Self {
        .enabled(if: Privilege.isRoot, "needs root: it makes network namespaces (CAP_SYS_ADMIN)")
    }
}
