/// Every scenario, in the order of the reference page's error table; a table errno's related scenarios
/// follow its primary one.
package enum ProbeCatalog {
    package static let all: [ProbeScenario] = [
        ProbeScenario(
            id: "EADDRINUSE", errno: "EADDRINUSE",
            summary: "TCP, 2 sockets with SO_REUSEADDR bound to the same addr:port connect to the same destination (same 4-tuple)",
            isolation: .freshNetworkNamespace,
            why: "__inet_check_established() finds the 4-tuple taken and answers EADDRNOTAVAIL; Linux's EADDRINUSE comes from bind() (EADDRINUSE-bind)",
            body: ScenariosTCP.sameFourTuple),
        ProbeScenario(
            id: "EADDRINUSE-bind", errno: "EADDRINUSE", primary: false,
            summary: "TCP bind(127.0.0.1:0) then connect, ephemeral range of 4 ports, until it fails",
            isolation: .freshNetworkNamespace,
            why: "bind's port search (inet_csk_get_port) runs out before connect is called",
            body: ScenariosTCP.exhaustBindBeforeConnect),
        ProbeScenario(
            id: "EADDRNOTAVAIL", errno: "EADDRNOTAVAIL",
            summary: "TCP plain connects to one listener, ephemeral range of 4 ports, until it fails",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.exhaustTCPPorts),
        ProbeScenario(
            id: "EAFNOSUPPORT", errno: "EAFNOSUPPORT",
            summary: "AF_INET TCP socket, connect to an AF_INET6 address",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.eafnosupport),
        ProbeScenario(
            id: "EALREADY", errno: "EALREADY",
            summary: "TCP nonblocking, SYN never answered, connect twice",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.ealready),
        ProbeScenario(
            id: "EINTR", errno: "EINTR",
            summary: "TCP blocking connect, SYN never answered, signal (handler without SA_RESTART) while it waits",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.eintr),
        ProbeScenario(
            id: "EACCES", errno: "EACCES",
            summary: "unix, uid 65534 connects to a socket inside a mode-0700 directory (no search permission)",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.eaccesSearch),
        ProbeScenario(
            id: "EACCES-write", errno: "EACCES", primary: false,
            summary: "unix, uid 65534 connects to a socket file it may not write (mode 0755, root's)",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.eaccesWrite),
        ProbeScenario(
            id: "ENOBUFS", errno: "ENOBUFS",
            summary: "(not run) kernel memory exhaustion during connect",
            isolation: .none,
            notProvoked: "connect returns ENOBUFS only when a kernel allocation fails: tcp_connect() when the SYN's skb cannot be allocated, the route lookup when a dst entry cannot be (rt_dst_alloc); the probe does not exhaust kernel memory",
            body: ScenariosOther.enobufs),
        ProbeScenario(
            id: "EOPNOTSUPP", errno: "EOPNOTSUPP",
            summary: "AF_PACKET socket (no connect operation), connect",
            isolation: .freshNetworkNamespace,
            body: ScenariosOther.eopnotsupp),
        ProbeScenario(
            id: "EWOULDBLOCK", errno: "EWOULDBLOCK",
            summary: "TCP plain connects, ephemeral range of 4 ports, until it fails (the reference page's TCP port exhaustion)",
            isolation: .freshNetworkNamespace,
            why: "TCP's port search (__inet_hash_connect) fails with EADDRNOTAVAIL; UDP's does give EWOULDBLOCK (EWOULDBLOCK-udp)",
            body: ScenariosTCP.exhaustTCPPorts),
        ProbeScenario(
            id: "EWOULDBLOCK-udp", errno: "EWOULDBLOCK", primary: false,
            summary: "UDP connect on unbound sockets, ephemeral range of 4 ports, until it fails",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.exhaustUDPPorts),
        ProbeScenario(
            id: "EWOULDBLOCK-unix", errno: "EWOULDBLOCK", primary: false,
            summary: "unix nonblocking connects to a backlog-0 listener that never accepts, until it fails",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.backlogFull),
        ProbeScenario(
            id: "EBADF", errno: "EBADF",
            summary: "connect on descriptor -1",
            isolation: .none,
            body: ScenariosOther.ebadf),
        ProbeScenario(
            id: "ECONNREFUSED", errno: "ECONNREFUSED",
            summary: "TCP blocking connect to a loopback port with no listener",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.econnrefused),
        ProbeScenario(
            id: "ECONNREFUSED-unix", errno: "ECONNREFUSED", primary: false,
            summary: "unix connect to a socket that is bound but not listening",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.econnrefused),
        ProbeScenario(
            id: "EFAULT", errno: "EFAULT",
            summary: "TCP connect with an address pointer into unmapped memory",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.efault),
        ProbeScenario(
            id: "EINPROGRESS", errno: "EINPROGRESS",
            summary: "TCP nonblocking connect to a listener",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.einprogress),
        ProbeScenario(
            id: "EINVAL", errno: "EINVAL",
            summary: "unix connect to a listening socket whose path has bytes with the high bit set",
            isolation: .temporaryDirectory,
            why: "sun_path is a byte string to Linux; its EINVAL is for a bad address length (EINVAL-length)",
            body: ScenariosUnix.highBitPath),
        ProbeScenario(
            id: "EINVAL-length", errno: "EINVAL", primary: false,
            summary: "TCP connect with an address length shorter than sockaddr_in",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.einvalLength),
        ProbeScenario(
            id: "EISCONN", errno: "EISCONN",
            summary: "TCP blocking connect, then connect again",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.eisconn),
        ProbeScenario(
            id: "ENETDOWN", errno: "ENETDOWN",
            summary: "TCP connect out of an interface that is down (lo down, SO_BINDTODEVICE lo)",
            isolation: .freshNetworkNamespace,
            why: "a link that goes down takes its routes with it (fib_sync_down_dev) and a lookup through a down device fails with ENETUNREACH (ip_route_output_key_hash_rcu)",
            body: ScenariosTCP.enetdown),
        ProbeScenario(
            id: "ENETUNREACH", errno: "ENETUNREACH",
            summary: "TCP connect to 192.0.2.1 in a namespace with only lo",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.enetunreach),
        ProbeScenario(
            id: "ENOSPC", errno: "ENOSPC",
            summary: "unix connect with SO_PASSCRED on an unbound socket (the autobind that can run out of names)",
            isolation: .freshNetworkNamespace,
            notProvoked: "connect returns ENOSPC only for an unbound unix socket with SO_PASSCRED/SO_PASSPIDFD when unix_autobind() finds all 2^20 autobind names of the namespace taken, which needs about a million sockets held open; TCP/UDP connect never return it",
            body: ScenariosOther.autobindDemo),
        ProbeScenario(
            id: "ENOTCONN", errno: "ENOTCONN",
            summary: "TCP nonblocking connect refused, then getpeername and connect again",
            isolation: .freshNetworkNamespace,
            notOnLinux: "no connect path returns it (__inet_stream_connect, tcp_v4/v6_connect, ip4_datagram_connect, unix_stream_connect, unix_dgram_connect): a failed connect reports why (ECONNREFUSED, ETIMEDOUT; ECONNABORTED when repeated) and ENOTCONN comes from getpeername/send",
            body: ScenariosTCP.enotconn),
        ProbeScenario(
            id: "ENOTSOCK", errno: "ENOTSOCK",
            summary: "connect on the descriptor of a regular file",
            isolation: .temporaryDirectory,
            body: ScenariosOther.enotsock),
        ProbeScenario(
            id: "ETIMEDOUT", errno: "ETIMEDOUT",
            summary: "TCP blocking connect, SYN never answered, TCP_SYNCNT 1 + TCP_USER_TIMEOUT 1 s",
            isolation: .freshNetworkNamespace,
            body: ScenariosTCP.etimedout),
        ProbeScenario(
            id: "EPROTOTYPE", errno: "EPROTOTYPE",
            summary: "unix stream socket connects to a path bound by a datagram socket",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.eprototype),
        ProbeScenario(
            id: "ELOOP", errno: "ELOOP",
            summary: "unix connect through a symlink loop",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.eloop),
        ProbeScenario(
            id: "ENOENT", errno: "ENOENT",
            summary: "unix connect to a path that does not exist",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.enoent),
        ProbeScenario(
            id: "ENOENT-empty", errno: "ENOENT", primary: false,
            summary: "unix connect with an empty path",
            isolation: .none,
            why: "unix_validate_addr() rejects an address with no path bytes as EINVAL",
            body: ScenariosUnix.emptyPath),
        ProbeScenario(
            id: "ENOTDIR", errno: "ENOTDIR",
            summary: "unix connect to <regular file>/sock",
            isolation: .temporaryDirectory,
            body: ScenariosUnix.enotdir),
    ]

    package static func scenario(id: String) -> ProbeScenario? {
        all.first { $0.id == id }
    }
}
