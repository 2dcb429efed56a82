package import Foundation
#if canImport(FoundationNetworking)
package import FoundationNetworking
#endif

/// One URLSession shared by every webhook delivery of the process, so that deliveries reuse
/// connections instead of opening (and tearing down) a session each. Each task's delegate events
/// go to the ``HTTPExchange`` that started it; redirects are never followed.
package final class SharedHTTPSession: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    package static let shared = SharedHTTPSession()

    private let lock = NSLock()
    private var exchanges: [Int: HTTPExchange] = [:]
    private var session: URLSession?

    private override init() {
        super.init()
        // Each request carries its own backstop timeout; filet's timer is the real limit.
        let configuration = HTTPProbe.configuration(timeout: .seconds(3600))
        configuration.httpMaximumConnectionsPerHost = 32
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "filet.webhooks"
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    /// Starts `request`, routing its events to `exchange`; call ``finish(_:)`` once it is over.
    package func start(_ request: URLRequest, exchange: HTTPExchange) -> URLSessionDataTask? {
        guard let task = session?.dataTask(with: request) else { return nil }
        lock.withLock { exchanges[task.taskIdentifier] = exchange }
        task.resume()
        return task
    }

    package func finish(_ task: URLSessionTask) {
        task.cancel()
        lock.withLock { exchanges[task.taskIdentifier] = nil }
    }

    private func exchange(for task: URLSessionTask) -> HTTPExchange? {
        lock.withLock { exchanges[task.taskIdentifier] }
    }

    package func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)  // the 3xx itself is the answer
    }

    package func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let exchange = exchange(for: dataTask) else { return completionHandler(.cancel) }
        exchange.urlSession(session, dataTask: dataTask, didReceive: response, completionHandler: completionHandler)
    }

    package func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        exchange(for: dataTask)?.urlSession(session, dataTask: dataTask, didReceive: data)
    }

    package func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        exchange(for: task)?.urlSession(session, task: task, didCompleteWithError: error)
    }
}
