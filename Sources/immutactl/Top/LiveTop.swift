import Dispatch
import Immuta

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The live view: a new reading each second drawn over the last, until q or Ctrl-C, the task's
/// cancellation (a signal), or an error (the daemon gone). The terminal is restored on each of
/// these ways out.
struct LiveTop: Sendable {
    var client: ImmutaClient
    var server: String
    var socket: String
    static let refreshInterval = Duration.seconds(1)

    private enum Event: Sendable {
        case sample(TopSample)
        case failed(any Error)
        case resized
        case quit
    }

    /// Runs until q or Ctrl-C, the task's cancellation (a signal) or an error, drawing readings
    /// taken after `first`.
    func run(from first: TopSample) async throws {
        let (events, sink) = AsyncStream<Event>.makeStream()
        let keys = Self.watchKeys(sink)
        let resizes = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        resizes.setEventHandler { sink.yield(.resized) }
        resizes.resume()
        // Not awaited on the way out: q quits at once even while a reading waits on the daemon.
        let sampler = Task { [client] in
            do {
                try await Self.sample(client, into: sink)
            } catch {
                sink.yield(.failed(error))
            }
        }
        let terminal = Terminal()
        defer {
            terminal.restore()
            sampler.cancel()
            keys.cancel()
            resizes.cancel()
        }
        terminal.draw(["\(server): reading its figures…"])
        var previous = first
        var shown: TopSnapshot?
        func draw(_ snapshot: TopSnapshot) {
            let (width, height) = Terminal.size()
            terminal.draw(TopScreen.lines(snapshot, width: width, height: height, hint: "q quits"))
        }
        // Ends early when the task is cancelled.
        for await event in events {
            switch event {
            case .sample(let sample):
                let snapshot = TopSnapshot(server: server, socket: socket, from: previous, to: sample)
                previous = sample
                shown = snapshot
                draw(snapshot)
            case .resized:
                if let shown { draw(shown) }
            case .failed(let error):
                throw error
            case .quit:
                return
            }
        }
    }

    /// Reads the daemon's figures each second from `DaemonFigures.sampleInterval` on (the first
    /// screen comes as soon as `status`'s rates would).
    private static func sample(_ client: ImmutaClient, into sink: AsyncStream<Event>.Continuation) async throws {
        var next = ContinuousClock.now + DaemonFigures.sampleInterval
        while true {
            try await Task.sleep(until: next)
            sink.yield(.sample(try await TopSample.read(client)))
            next = max(next + refreshInterval, .now)
        }
    }

    /// Reports q, Q and Ctrl-C typed on standard input as `.quit`; stops watching at its end.
    private static func watchKeys(_ sink: AsyncStream<Event>.Continuation) -> any DispatchSourceRead {
        let source = DispatchSource.makeReadSource(fileDescriptor: STDIN_FILENO, queue: .global())
        // The handler holds its source until it is cancelled (here at the end of input, or by
        // run() on the way out), which releases the handler.
        source.setEventHandler {
            var bytes = [UInt8](repeating: 0, count: 64)
            let count = read(STDIN_FILENO, &bytes, bytes.count)
            if count > 0 {
                if bytes[..<count].contains(where: { $0 == UInt8(ascii: "q") || $0 == UInt8(ascii: "Q") || $0 == 3 }) {
                    sink.yield(.quit)
                }
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                source.cancel()
            }
        }
        source.resume()
        return source
    }
}
