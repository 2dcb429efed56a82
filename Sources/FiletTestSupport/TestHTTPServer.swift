#if canImport(Glibc)
    import Dispatch
    public import Foundation
    import Glibc
    import Synchronization
    import FiletRunbook
    import FiletSupport

    /// A small, real HTTP/1.1 server on loopback, for tests (HTTP checks today, webhook
    /// notifications next).
    ///
    /// It listens on `127.0.0.1` (and on `::1`, same port, when asked) on a free port, and
    /// answers each request with what a closure decides, given the request:
    ///
    /// ```swift
    /// let server = try TestHTTPServer { request in
    ///     switch request.path {
    ///     case "/health": .respond(.text("ok"))
    ///     case "/slow": .delay(.milliseconds(300), .text("late but fine"))
    ///     case "/busy": .respond(.retryAfter(seconds: 2, status: 503))
    ///     case "/moved": .respond(.redirect(to: "/health"))
    ///     case "/hang": .hang
    ///     default: .close
    ///     }
    /// }
    /// defer { server.stop() }
    /// let probe = HTTPProbe(url: server.url("/health"))
    /// // ... then assert on server.requests: method, path, headers, body, time.
    /// ```
    ///
    /// A handler that needs a sequence (fail twice, then succeed) can switch on
    /// ``Request/index``, the request's rank among all requests the server received.
    ///
    /// How it works, and its bounds:
    /// - POSIX sockets, close-on-exec and non-blocking; one thread accepts, one thread serves
    ///   each connection. Every wait (`poll(2)`) also watches a wake-up socket, so ``stop()``
    ///   ends every thread at once, even one delaying or hanging an answer.
    /// - Connections are kept alive (HTTP/1.1) until the client closes them, sends
    ///   `Connection: close`, speaks HTTP/1.0 without `keep-alive`, or is idle for 30 s.
    /// - Request bodies are read by `Content-Length` or `Transfer-Encoding: chunked`;
    ///   `Expect: 100-continue` is answered with `100 Continue`. Heads are limited to 64 KiB
    ///   (else `431`), bodies to 16 MiB (else `413`), and a malformed request gets `400`.
    /// - Every request is recorded (after its body is read, before the handler runs), so a
    ///   test can assert on requests that were never answered.
    /// - The handler runs on the connection's thread; it must not block for long, nor call
    ///   ``stop()``. Use ``Reply/delay(_:_:)`` and ``Reply/hang`` to be slow.
    /// - The server stops when ``stop()`` is called or when it is deinitialised; `stop()`
    ///   waits (at most 5 s) for its threads to end.
    public final class TestHTTPServer: Sendable {
        /// A request as received.
        public struct Request: Sendable {
            /// The request's rank among all requests this server received, from 0.
            public var index: Int
            /// The connection it came on, numbered from 0 in the order of acceptance
            /// (two requests with the same number came on one kept-alive connection).
            public var connection: Int
            /// The loopback family of the connection.
            public var family: Loopback.Family
            public var method: String
            /// The request target as sent: path and query (`/hooks/a?x=1`).
            public var target: String
            /// The target without its query.
            public var path: String
            /// The query, without `?`; nil when there is none.
            public var query: String?
            /// `HTTP/1.1` or `HTTP/1.0`.
            public var version: String
            /// The header fields in the order received, names as sent.
            public var headers: [(name: String, value: String)]
            /// The body, de-chunked.
            public var body: Data
            /// When the request was complete (head and body read).
            public var receivedAt: ContinuousClock.Instant

            /// The first value of a header field (names compared case-insensitively).
            public func header(_ name: String) -> String? {
                headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
            }

            /// The body decoded as UTF-8 (invalid bytes replaced).
            public var bodyText: String { String(decoding: body, as: UTF8.self) }
        }

        /// An answer to send.
        public struct Response: Sendable {
            public var status: Int
            /// Header fields to send, in order. `Content-Length` is added unless given, and
            /// `Connection: close` when the server closes the connection after this answer.
            public var headers: [(name: String, value: String)]
            public var body: Data

            public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: Data = Data()) {
                self.status = status
                self.headers = headers
                self.body = body
            }

            /// A `text/plain; charset=utf-8` answer.
            public static func text(_ text: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> Response {
                Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Data(text.utf8))
            }

            /// An `application/json` answer.
            public static func json(_ json: String, status: Int = 200) -> Response {
                Response(status: status, headers: [("Content-Type", "application/json")], body: Data(json.utf8))
            }

            /// An empty answer with a status.
            public static func status(_ status: Int) -> Response { Response(status: status) }

            /// A redirect (`301`, `302`, `303`, `307`, `308`) to `location`.
            public static func redirect(to location: String, status: Int = 302) -> Response {
                Response(status: status, headers: [("Location", location)])
            }

            /// `429 Too Many Requests` or `503 Service Unavailable` with `Retry-After: seconds`.
            public static func retryAfter(seconds: Int, status: Int = 503) -> Response {
                Response(status: status, headers: [("Retry-After", String(seconds))], body: Data("retry later\n".utf8))
            }
        }

        /// What the server does with a request.
        public enum Reply: Sendable {
            /// Answer now.
            case respond(Response)
            /// Answer after a delay (the connection stays open and silent meanwhile).
            case delay(Duration, Response)
            /// Never answer: keep the connection open and silent until the client goes away or the server stops.
            case hang
            /// Close the connection without answering.
            case close
        }

        public typealias Handler = @Sendable (Request) -> Reply

        /// The port, the same on every family listened on.
        public let port: UInt16
        /// The families listened on.
        public let families: [Loopback.Family]
        private let core: ServerCore

        /// Starts listening at once. By default every request is answered `200 ok`.
        public init(_ families: [Loopback.Family] = [.ipv4], handler: @escaping Handler = { _ in .respond(.text("ok")) }) throws {
            let families = families.isEmpty ? [.ipv4] : Array(Set(families)).sorted { $0.rawValue < $1.rawValue }
            (port, core) = try Self.listen(on: families, handler: handler)
            self.families = families
        }

        /// Binds every family to one port (chosen by the first bind; retried if another family has it taken).
        private static func listen(on families: [Loopback.Family], handler: @escaping Handler) throws -> (UInt16, ServerCore) {
            var lastError: any Error = Loopback.SocketError(call: "bind", errno: EADDRINUSE)
            for _ in 0..<8 {
                var listeners: [(fd: Int32, family: Loopback.Family)] = []
                do {
                    var port: UInt16 = 0
                    for family in families {
                        let fd = try Loopback.boundSocket(family, port: port, nonBlocking: true)
                        listeners.append((fd, family))
                        guard Glibc.listen(fd, 64) == 0 else { throw Loopback.SocketError(call: "listen", errno: errno) }
                        if port == 0 { port = try Loopback.localPort(of: fd) }
                    }
                    return (port, try ServerCore(listeners: listeners, handler: handler))
                } catch {
                    for listener in listeners { close(listener.fd) }
                    lastError = error
                }
            }
            throw lastError
        }

        deinit { core.stop() }

        /// `http://127.0.0.1:PORT/path` (or `http://[::1]:PORT/path`); `path` may carry a query.
        public func url(_ path: String = "/", family: Loopback.Family? = nil) -> String {
            let family = family ?? families[0]
            return "http://\(family.urlHost):\(port)" + (path.hasPrefix("/") ? path : "/" + path)
        }

        /// Every request received so far, in order of arrival.
        public var requests: [Request] { core.recordedRequests() }

        /// The number of connections accepted so far.
        public var connectionCount: Int { core.acceptedConnections() }

        /// Waits until at least `count` requests have arrived, or `timeout` has passed; returns them all.
        public func waitForRequests(_ count: Int, timeout: Duration = .seconds(5)) async -> [Request] {
            let clock = ContinuousClock()
            let end = clock.now + timeout
            while true {
                let seen = requests
                if seen.count >= count || clock.now >= end { return seen }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }

        /// Stops listening, closes every connection and ends the server's threads. Idempotent.
        public func stop() { core.stop() }
    }

    /// The server's state and threads; shared by the threads, owned by the ``TestHTTPServer``.
    private final class ServerCore: Sendable {
        static let headLimit = 64 * 1024
        static let bodyLimit = 16 * 1024 * 1024
        static let idleMilliseconds: Int32 = 30_000

        private struct State {
            var stopped = false
            var requests: [TestHTTPServer.Request] = []
            var connections = 0
        }

        let handler: TestHTTPServer.Handler
        private let state = Mutex(State())
        private let threads = DispatchGroup()
        /// Written once by `stop()` and never drained, so every later `poll` sees it readable.
        let wakeRead: Int32
        private let wakeWrite: Int32

        init(listeners: [(fd: Int32, family: Loopback.Family)], handler: @escaping TestHTTPServer.Handler) throws {
            // A socket pair rather than a pipe: it can be made close-on-exec atomically.
            var fds: [Int32] = [-1, -1]
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw Loopback.SocketError(call: "socketpair", errno: errno) }
            wakeRead = fds[0]
            wakeWrite = fds[1]
            self.handler = handler
            threads.enter()
            let status = DedicatedThread.start("http-accept") { [self] in
                acceptLoop(listeners)
                threads.leave()
            }
            guard status == 0 else {
                threads.leave()
                close(wakeRead)
                close(wakeWrite)
                throw Loopback.SocketError(call: "pthread_create", errno: status)
            }
        }

        func stop() {
            let wasStopped = state.withLock { state in
                defer { state.stopped = true }
                return state.stopped
            }
            guard !wasStopped else { return }
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            // Close the wake-up sockets only when no thread can still poll them; a stuck handler leaks them instead.
            if threads.wait(timeout: .now() + 5) == .success {
                close(wakeRead)
                close(wakeWrite)
            }
        }

        func recordedRequests() -> [TestHTTPServer.Request] {
            state.withLock { $0.requests }
        }

        func acceptedConnections() -> Int {
            state.withLock { $0.connections }
        }

        /// Records a request, giving it its index.
        func record(_ request: TestHTTPServer.Request) -> TestHTTPServer.Request {
            state.withLock { state in
                var request = request
                request.index = state.requests.count
                state.requests.append(request)
                return request
            }
        }

        private func acceptLoop(_ listeners: [(fd: Int32, family: Loopback.Family)]) {
            defer { for listener in listeners { close(listener.fd) } }
            var polled = listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            polled.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            while true {
                for index in polled.indices { polled[index].revents = 0 }
                let ready = poll(&polled, nfds_t(polled.count), -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if polled[polled.count - 1].revents != 0 { return }
                for (index, listener) in listeners.enumerated() where polled[index].revents != 0 {
                    // accept4 is not exported to Swift: flags are set just after. A process spawned
                    // in between could inherit the socket; connections are shut down, not just
                    // closed, so such a copy cannot keep one open.
                    let fd = accept(listener.fd, nil, nil)
                    guard fd >= 0 else { continue }
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    let number = state.withLock { state in
                        defer { state.connections += 1 }
                        return state.connections
                    }
                    threads.enter()
                    let family = listener.family
                    let status = DedicatedThread.start("http-conn-\(number)") { [self] in
                        var connection = ServerConnection(fd: fd, number: number, family: family, core: self)
                        connection.serve()
                        shutdown(fd, Int32(SHUT_RDWR))
                        close(fd)
                        threads.leave()
                    }
                    if status != 0 {
                        shutdown(fd, Int32(SHUT_RDWR))
                        close(fd)
                        threads.leave()
                    }
                }
            }
        }
    }

    /// One accepted connection: reads requests, asks the handler, answers.
    private struct ServerConnection {
        let fd: Int32
        let number: Int
        let family: Loopback.Family
        let core: ServerCore
        var buffer: [UInt8] = []

        enum Wait { case ready, closed, stopped, timedOut }

        init(fd: Int32, number: Int, family: Loopback.Family, core: ServerCore) {
            self.fd = fd
            self.number = number
            self.family = family
            self.core = core
        }

        mutating func serve() {
            while true {
                guard let head = readHead() else { return }
                guard var request = parseHead(head) else {
                    _ = send(.text("malformed request\n", status: 400), closing: true, headOnly: false)
                    return
                }
                if request.header("Expect")?.lowercased() == "100-continue" {
                    guard sendBytes(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
                }
                switch readBody(of: request) {
                case .success(let body): request.body = body
                case .failure(let error):
                    if let status = error.status { _ = send(.text("bad request body\n", status: status), closing: true, headOnly: false) }
                    return
                }
                request.receivedAt = ContinuousClock.now
                request = core.record(request)
                let closing = Self.wantsClose(request)
                let headOnly = request.method == "HEAD"
                switch core.handler(request) {
                case .respond(let response):
                    guard send(response, closing: closing, headOnly: headOnly), !closing, !Self.closes(response) else { return }
                case .delay(let delay, let response):
                    guard waitWhileSilent(pollMilliseconds(delay)) == .timedOut else { return }
                    guard send(response, closing: closing, headOnly: headOnly), !closing, !Self.closes(response) else { return }
                case .hang:
                    _ = waitWhileSilent(nil)
                    return
                case .close:
                    return  // the thread shuts the connection down
                }
            }
        }

        static func wantsClose(_ request: TestHTTPServer.Request) -> Bool {
            let connection = request.header("Connection")?.lowercased() ?? ""
            if connection.contains("close") { return true }
            return request.version == "HTTP/1.0" && !connection.contains("keep-alive")
        }

        static func closes(_ response: TestHTTPServer.Response) -> Bool {
            response.headers.contains { $0.name.lowercased() == "connection" && $0.value.lowercased().contains("close") }
        }

        // MARK: Reading

        /// Waits for the socket (`events`) or the stop signal, at most `milliseconds` (-1: no limit).
        func wait(for events: Int32, milliseconds: Int32) -> Wait {
            var polled = [
                pollfd(fd: fd, events: Int16(events), revents: 0),
                pollfd(fd: core.wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            while true {
                let ready = poll(&polled, 2, milliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return .closed
                }
                if ready == 0 { return .timedOut }
                if polled[1].revents != 0 { return .stopped }
                if polled[0].revents & Int16(events) != 0 { return .ready }
                return .closed  // POLLHUP, POLLERR, POLLRDHUP without data
            }
        }

        /// Keeps the connection open and silent for `milliseconds` (nil: until the client or the server goes away).
        func waitWhileSilent(_ milliseconds: Int32?) -> Wait {
            let readHangUp: Int32 = 0x2000  // POLLRDHUP: the client closed its side
            var polled = [
                pollfd(fd: fd, events: Int16(readHangUp), revents: 0),
                pollfd(fd: core.wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let clock = ContinuousClock()
            let end = milliseconds.map { clock.now + .milliseconds($0) }
            while true {
                let left = end.map { pollMilliseconds($0 - clock.now) } ?? -1
                let ready = poll(&polled, 2, left)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return .closed
                }
                if ready == 0 {
                    if let end, clock.now < end { continue }
                    return .timedOut
                }
                if polled[1].revents != 0 { return .stopped }
                return .closed
            }
        }

        /// Reads more bytes into the buffer; false when the client closed, the server stopped, or the connection idled out.
        mutating func fill() -> Bool {
            guard wait(for: POLLIN, milliseconds: ServerCore.idleMilliseconds) == .ready else { return false }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = recv(fd, &chunk, chunk.count, 0)
                if count > 0 {
                    buffer.append(contentsOf: chunk[..<count])
                    return true
                }
                if count < 0 && errno == EINTR { continue }
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    guard wait(for: POLLIN, milliseconds: ServerCore.idleMilliseconds) == .ready else { return false }
                    continue
                }
                return false
            }
        }

        /// The bytes of the next request head (request line and header fields), without the blank line.
        mutating func readHead() -> [UInt8]? {
            // Tolerate blank lines before a request (RFC 9112, 2.2).
            while true {
                while buffer.starts(with: [13, 10]) { buffer.removeFirst(2) }
                if let end = Self.find([13, 10, 13, 10], in: buffer) {
                    let head = Array(buffer[..<end])
                    buffer.removeFirst(end + 4)
                    return head
                }
                if buffer.count > ServerCore.headLimit {
                    _ = send(.text("request head too large\n", status: 431), closing: true, headOnly: false)
                    return nil
                }
                guard fill() else { return nil }
            }
        }

        /// One line (without CRLF), for chunk sizes and trailers.
        mutating func readLine() -> [UInt8]? {
            while true {
                if let end = Self.find([13, 10], in: buffer) {
                    let line = Array(buffer[..<end])
                    buffer.removeFirst(end + 2)
                    return line
                }
                if buffer.count > 8192 { return nil }
                guard fill() else { return nil }
            }
        }

        mutating func readExactly(_ count: Int) -> [UInt8]? {
            while buffer.count < count {
                guard fill() else { return nil }
            }
            let bytes = Array(buffer[..<count])
            buffer.removeFirst(count)
            return bytes
        }

        /// The body; failure carries the status to answer with (nil: just close).
        mutating func readBody(of request: TestHTTPServer.Request) -> Result<Data, BodyError> {
            if let encoding = request.header("Transfer-Encoding"), encoding.lowercased().contains("chunked") {
                var body = Data()
                while true {
                    guard let line = readLine() else { return .failure(BodyError(status: nil)) }
                    let sizeText = String(decoding: line, as: UTF8.self).split(separator: ";", maxSplits: 1).first ?? ""
                    guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                        return .failure(BodyError(status: 400))
                    }
                    if size == 0 { break }
                    guard body.count + size <= ServerCore.bodyLimit else { return .failure(BodyError(status: 413)) }
                    guard let chunk = readExactly(size), let end = readLine(), end.isEmpty else { return .failure(BodyError(status: nil)) }
                    body.append(contentsOf: chunk)
                }
                while let trailer = readLine(), !trailer.isEmpty {}  // trailers are read and dropped
                return .success(body)
            }
            guard let lengthText = request.header("Content-Length") else { return .success(Data()) }
            guard let length = Int(lengthText.trimmingCharacters(in: .whitespaces)), length >= 0 else {
                return .failure(BodyError(status: 400))
            }
            guard length <= ServerCore.bodyLimit else { return .failure(BodyError(status: 413)) }
            guard let bytes = readExactly(length) else { return .failure(BodyError(status: nil)) }
            return .success(Data(bytes))
        }

        struct BodyError: Error {
            var status: Int?
        }

        func parseHead(_ head: [UInt8]) -> TestHTTPServer.Request? {
            let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, parts[2].hasPrefix("HTTP/1.") else { return nil }
            var headers: [(name: String, value: String)] = []
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return nil }
                let name = String(line[..<colon])
                guard !name.contains(" "), !name.contains("\t") else { return nil }
                headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            let target = String(parts[1])
            let query = target.firstIndex(of: "?")
            return TestHTTPServer.Request(
                index: -1, connection: number, family: family, method: String(parts[0]), target: target,
                path: String(target[..<(query ?? target.endIndex)]),
                query: query.map { String(target[target.index(after: $0)...]) },
                version: String(parts[2]), headers: headers, body: Data(), receivedAt: ContinuousClock.now)
        }

        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard haystack.count >= needle.count else { return nil }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
            }
            return nil
        }

        // MARK: Writing

        func send(_ response: TestHTTPServer.Response, closing: Bool, headOnly: Bool) -> Bool {
            var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
            for header in response.headers { head += "\(header.name): \(header.value)\r\n" }
            let bodiless = (100...199).contains(response.status) || response.status == 204 || response.status == 304
            if !bodiless && !response.headers.contains(where: { $0.name.lowercased() == "content-length" }) {
                head += "Content-Length: \(response.body.count)\r\n"
            }
            if closing && !Self.closes(response) { head += "Connection: close\r\n" }
            head += "\r\n"
            var bytes = Array(head.utf8)
            if !headOnly && !bodiless { bytes.append(contentsOf: response.body) }
            return sendBytes(bytes)
        }

        func sendBytes(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && errno == EINTR {
                    continue
                } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    guard wait(for: POLLOUT, milliseconds: ServerCore.idleMilliseconds) == .ready else { return false }
                } else {
                    return false
                }
            }
            return true
        }

        static func reason(_ status: Int) -> String {
            switch status {
            case 100: "Continue"
            case 200: "OK"
            case 201: "Created"
            case 202: "Accepted"
            case 204: "No Content"
            case 301: "Moved Permanently"
            case 302: "Found"
            case 303: "See Other"
            case 304: "Not Modified"
            case 307: "Temporary Redirect"
            case 308: "Permanent Redirect"
            case 400: "Bad Request"
            case 401: "Unauthorized"
            case 403: "Forbidden"
            case 404: "Not Found"
            case 413: "Content Too Large"
            case 429: "Too Many Requests"
            case 431: "Request Header Fields Too Large"
            case 500: "Internal Server Error"
            case 502: "Bad Gateway"
            case 503: "Service Unavailable"
            case 504: "Gateway Timeout"
            default: "Status \(status)"
            }
        }
    }

    /// Milliseconds of a duration, rounded up, for `poll(2)`.
    private func pollMilliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }
#endif
