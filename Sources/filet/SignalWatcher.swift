import FiletEngine
import Foundation

/// Turns SIGINT and SIGTERM into ``Interruption`` signals for the engine, instead of killing filet.
/// Not Sendable (its Dispatch sources are not): the task that creates it stops it.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(interruption: Interruption) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { interruption.signal(number) }
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}
