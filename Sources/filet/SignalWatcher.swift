import FiletEngine
import Foundation

/// Turns SIGINT and SIGTERM into ``Interruption`` signals for the engine, instead of killing filet.
/// Not Sendable (its Dispatch sources are not): the task that creates it stops it, which gives both signals back the
/// dispositions they had. (Commands never inherit them: they start with every signal at its default and none blocked.)
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]
    private let previous: [(Int32, sigaction)]

    init(interruption: Interruption) {
        var previous: [(Int32, sigaction)] = []
        sources = [SIGINT, SIGTERM].map { number in
            var ignore = sigaction()
            ignore.__sigaction_handler.sa_handler = SIG_IGN
            sigemptyset(&ignore.sa_mask)
            var old = sigaction()
            sigaction(number, &ignore, &old)
            previous.append((number, old))
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { interruption.signal(number) }
            source.resume()
            return source
        }
        self.previous = previous
    }

    func stop() {
        for source in sources { source.cancel() }
        for (number, old) in previous {
            var old = old
            sigaction(number, &old, nil)
        }
    }
}
