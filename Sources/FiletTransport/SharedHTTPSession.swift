import Synchronization

#if canImport(FoundationNetworking)
    import Foundation
    package import FoundationNetworking
#else
    package import Foundation
#endif

/// One URLSession shared by every webhook delivery of the process, so that deliveries reuse
/// connections instead of opening (and tearing down) a session each. Each task's delegate events
/// go to the ``HTTPExchange`` that started it; redirects are never followed.
package final class SharedHTTPSession: Sendable {
    package static let shared = SharedHTTPSession()

    private let router = ExchangeRouter()
    private let session: URLSession

    private init() {
        // Each request carries its own backstop timeout; filet's timer is the real limit.
        let configuration = HTTPProbe.configuration(timeout: .seconds(3600))
        configuration.httpMaximumConnectionsPerHost = 32
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "filet.webhooks"
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: queue)
    }

    /// Starts `request`, routing its events to `exchange`; call ``finish(_:)`` once it is over.
    package func start(_ request: URLRequest, exchange: HTTPExchange) -> URLSessionDataTask? {
        let task = session.dataTask(with: request)
        router.exchanges.withLock { $0[task.taskIdentifier] = exchange }
        task.resume()
        return task
    }

    package func finish(_ task: URLSessionTask) {
        task.cancel()
        router.exchanges.withLock { $0[task.taskIdentifier] = nil }
    }
}

/// The shared session's delegate: hands each task's events to the ``HTTPExchange`` that started it.
private final class ExchangeRouter: NSObject, URLSessionDataDelegate, Sendable {
    let exchanges = Mutex<[Int: HTTPExchange]>([:])

    private func exchange(for task: URLSessionTask) -> HTTPExchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)  // the 3xx itself is the answer
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let exchange = exchange(for: dataTask) else { return completionHandler(.cancel) }
        exchange.urlSession(session, dataTask: dataTask, didReceive: response, completionHandler: completionHandler)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        exchange(for: dataTask)?.urlSession(session, dataTask: dataTask, didReceive: data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        exchange(for: task)?.urlSession(session, task: task, didCompleteWithError: error)
    }
}
