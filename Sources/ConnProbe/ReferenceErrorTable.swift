/// The error table of the AIX reference page for connect() (kept beside the project as `connect.txt`), in its order,
/// with its descriptions as written there (typos included).
package enum ReferenceErrorTable {
    package struct Entry: Sendable {
        package let errnoName: String
        package let description: String
    }

    package static let entries: [Entry] = [
        Entry(errnoName: "EADDRINUSE", description: "The specified address is already in use. This error will also occur if the SO_REUSEADDR socket option was set and the local address (whether specified or selected by the system) is already in use."),
        Entry(errnoName: "EADDRNOTAVAIL", description: "The specified address is not available from the local machine."),
        Entry(errnoName: "EAFNOSUPPORT", description: "The addresses in the specified address family cannot be used with this socket."),
        Entry(errnoName: "EALREADY", description: "The socket is specified with O_NONBLOCK or O_NDLAY, and a previous connecttion attempt has not yet completed."),
        Entry(errnoName: "EINTR", description: "The attempt to establish a connection was interrupted by delivery of a signal that was caught; the connection will be established asynchronously."),
        Entry(errnoName: "EACCES", description: "Search permission is denied on a component of the path prefix or write access to the named socket is denied."),
        Entry(errnoName: "ENOBUFS", description: "The system ran out of memory for an internal data structure."),
        Entry(errnoName: "EOPNOTSUPP", description: "The socket referenced by Socket parameter does not support connect."),
        Entry(errnoName: "EWOULDBLOCK", description: "The range allocated for TCP/UDP ephemeral ports has been exhausted."),
        Entry(errnoName: "EBADF", description: "The Socket parameter is not valid."),
        Entry(errnoName: "ECONNREFUSED", description: "The attempt to connect was rejected."),
        Entry(errnoName: "EFAULT", description: "The Address parameter is not in a writable part of the user address space."),
        Entry(errnoName: "EINPROGRESS", description: "The socket is marked as nonblocking. The connection cannot be immediately completed. The application program can select the socket for writing during the connection process."),
        Entry(errnoName: "EINVAL", description: "The specified path name contains a character with the high-order bit set."),
        Entry(errnoName: "EISCONN", description: "The socket is already connected."),
        Entry(errnoName: "ENETDOWN", description: "The specified physical network is down."),
        Entry(errnoName: "ENETUNREACH", description: "No route to the network or host is present."),
        Entry(errnoName: "ENOSPC", description: "There is no space left on a device or system table."),
        Entry(errnoName: "ENOTCONN", description: "The socket could not be connected."),
        Entry(errnoName: "ENOTSOCK", description: "The Socket parameter refers to a file, not a socket."),
        Entry(errnoName: "ETIMEDOUT", description: "The establishment of a connection timed out before a connection was made."),
        Entry(errnoName: "EPROTOTYPE", description: "The specified address has a different type from the socket that is bound to the specified peer address."),
        Entry(errnoName: "ELOOP", description: "Too many symbolic links were encountered in translating the path name in address."),
        Entry(errnoName: "ENOENT", description: "A component of the path name does not name an existing file or the path name is an empty string."),
        Entry(errnoName: "ENOTDIR", description: "A component of the path prefix of the path name in address is not a directory."),
    ]

    package static func description(of errnoName: String) -> String {
        entries.first { $0.errnoName == errnoName }?.description ?? ""
    }
}
