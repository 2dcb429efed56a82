import Foundation
import FiletEngine

/// Turns SIGINT and SIGTERM into ``Interruption`` signals for the engine, instead of killing filet.
/// (Dispatch sources are thread-safe; they are only created and cancelled here.)
final class SignalWatcher: @unchecked Sendable {
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
        sources.forEach { $0.cancel() }
    }
}
