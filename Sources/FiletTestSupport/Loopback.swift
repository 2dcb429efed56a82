#if canImport(Glibc)
    import Glibc
    import Synchronization

    /// Loopback sockets for tests: free ports, bare listeners, and whether IPv6 works here.
    ///
    /// Everything here binds to 127.0.0.1 or ::1 only, so tests never send a packet off the machine.
    public enum Loopback: Sendable {
        /// An address family of the loopback interface.
        public enum Family: String, Sendable, Hashable, CaseIterable {
            case ipv4, ipv6

            /// `127.0.0.1` or `::1`.
            public var address: String { self == .ipv4 ? "127.0.0.1" : "::1" }
            /// The host as written in a URL: `127.0.0.1` or `[::1]`.
            public var urlHost: String { self == .ipv4 ? "127.0.0.1" : "[::1]" }
        }

        /// A socket error, with the call that failed and `errno` in words.
        public struct SocketError: Error, Sendable, CustomStringConvertible {
            public var call: String
            public var errno: Int32
            public init(call: String, errno: Int32) {
                self.call = call
                self.errno = errno
            }

            public var description: String { "\(call): \(String(cString: strerror(errno)))" }
        }

        /// Whether a socket can be bound to `::1` on this machine (containers often have no IPv6).
        public static let isIPv6Available: Bool = {
            guard let fd = try? boundSocket(.ipv6, port: 0) else { return false }
            close(fd)
            return true
        }()

        /// A TCP port on which nothing listens: bound, read, and closed again at once.
        /// (Another process could take it in between; on a test machine that is rare enough.)
        public static func unusedPort(_ family: Family = .ipv4) throws -> UInt16 {
            let fd = try boundSocket(family, port: 0)
            defer { close(fd) }
            return try localPort(of: fd)
        }

        /// A new TCP socket (close-on-exec), bound to the loopback address of `family` on `port` (0: any free port).
        public static func boundSocket(_ family: Family, port: UInt16, nonBlocking: Bool = false) throws -> Int32 {
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
            let fd = socket(family == .ipv4 ? AF_INET : AF_INET6, type, 0)
            guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let status: Int32
            switch family {
            case .ipv4:
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
                status = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            case .ipv6:
                _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                address.sin6_addr = in6addr_loopback
                status = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                }
            }
            guard status == 0 else {
                let error = SocketError(call: "bind", errno: errno)
                close(fd)
                throw error
            }
            return fd
        }

        /// The local port a socket is bound to.
        public static func localPort(of fd: Int32) throws -> UInt16 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let status = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard status == 0 else { throw SocketError(call: "getsockname", errno: errno) }
            let isIPv4 = storage.ss_family == sa_family_t(AF_INET)
            return withUnsafePointer(to: &storage) { pointer in
                if isIPv4 {
                    return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                }
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        }

        /// Starts a connect from `fd` to the loopback address of `family` on `port`: 0 when it
        /// completed at once, else `errno` (`EINPROGRESS` for a non-blocking socket still connecting).
        public static func connect(_ fd: Int32, family: Family, port: UInt16) -> Int32 {
            let status: Int32
            switch family {
            case .ipv4:
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
                status = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            case .ipv6:
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                address.sin6_addr = in6addr_loopback
                status = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
            return status == 0 ? 0 : errno
        }

        /// A listening TCP socket that never accepts: the kernel completes connections into its
        /// backlog, which is enough for a connect check. Closed by ``close()`` or on deinit.
        public final class Listener: Sendable {
            private struct Sockets {
                var fd: Int32
                /// Client sockets opened by `saturate()`, closed with the listener.
                var fillers: [Int32] = []
            }

            public let family: Family
            public let port: UInt16
            private let sockets: Mutex<Sockets>

            public init(_ family: Family = .ipv4, backlog: Int32 = 16) throws {
                let fd = try Loopback.boundSocket(family, port: 0)
                guard listen(fd, backlog) == 0 else {
                    let error = SocketError(call: "listen", errno: errno)
                    Glibc.close(fd)
                    throw error
                }
                self.family = family
                sockets = Mutex(Sockets(fd: fd))
                port = try Loopback.localPort(of: fd)
            }

            /// Fills the listener's accept queue with connections that are never accepted, so that
            /// any further connect hangs: Linux (and gVisor) drop a SYN when the accept queue is
            /// full, and the client retries for as long as its own timeout lets it. That makes a
            /// connect *timeout* reproducible on loopback, without sending anything off the machine.
            ///
            /// Returns true once a connect was seen to hang for 150 ms (checked, not assumed); false
            /// when this kernel accepted every one of 16 attempts. Use `backlog: 0` for a quick fill.
            public func saturate() -> Bool {
                for _ in 0..<16 {
                    guard let client = try? Loopback.boundSocket(family, port: 0, nonBlocking: true) else { return false }
                    sockets.withLock { $0.fillers.append(client) }
                    guard Loopback.connect(client, family: family, port: port) == EINPROGRESS else { continue }
                    var polled = [pollfd(fd: client, events: Int16(POLLOUT), revents: 0)]
                    if poll(&polled, 1, 150) == 0 { return true }
                }
                return false
            }

            public func close() {
                sockets.withLock { sockets in
                    for filler in sockets.fillers { Glibc.close(filler) }
                    sockets.fillers = []
                    if sockets.fd >= 0 {
                        Glibc.close(sockets.fd)
                        sockets.fd = -1
                    }
                }
            }

            deinit { close() }
        }
    }
#endif
