import Foundation
import Logging

extension LinkControl {
    /// Runs `session` (one connection's life) on a thread of its own, again and again until a
    /// stop is asked for: after a failure a retry outlives (a timeout, no responders, a lost
    /// connection) with a backoff, after any other error (which an operator must fix) every 30 s.
    func runOnThread(
        named name: String, logger: Logger, metadata: Logger.Metadata, session: @escaping @Sendable (inout Backoff) throws -> Void
    ) {
        let thread = Thread { [self] in
            var backoff = Backoff(cap: 5000)
            while !isStopping {
                // Paused while not connected (or after an error): stay so, without connecting.
                if isPaused {
                    set(.paused)
                    sleep(milliseconds: 500)
                    continue
                }
                do {
                    try session(&backoff)
                } catch {
                    record(error)
                    if let error = error as? NatsError, error.isTransient {
                        set(.disconnected)
                        sleep(milliseconds: backoff.take())
                    } else {
                        set(.error)
                        logger.error("\(name) stopped by an error; retrying in 30 s", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                        sleep(milliseconds: 30_000)
                    }
                }
            }
            set(.stopped)
            finished.signal()
        }
        thread.name = name
        thread.start()
    }
}
