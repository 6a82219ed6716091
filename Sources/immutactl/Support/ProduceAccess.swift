import Immuta

#if canImport(Glibc)
import Glibc
#endif

extension ImmutaClient {
    /// Describes a topic about to be produced to. A user with no access to the topic at all is
    /// refused the description; the daemon's own explanation of why it may not produce there
    /// (ACCESS_CHECK) says more than "no access to topic".
    func describeTopicToProduce(_ topic: String) async throws -> TopicDescription {
        do {
            return try await describeTopic(topic)
        } catch let error as ImmutaError where error.isPermissionDenied {
            guard let decision = try? await checkAccess(operation: "produce", topic: topic), !decision.allowed else { throw error }
            throw ImmutaError(code: error.code, message: "permission denied: \(decision.explanation)")
        }
    }
}

/// Standard input read to its end: its first `limit` bytes, and its whole length (to say how
/// large it was when it is too large). FileIO reads files by path and offset, which a pipe has
/// neither of.
func readAllStandardInput(limit: Int) throws -> (bytes: [UInt8], length: Int) {
    var bytes: [UInt8] = []
    var length = 0
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if n == 0 { return (bytes, length) }
        if n < 0 {
            if errno == EINTR { continue }
            throw CLIError(String(cString: strerror(errno)))
        }
        length += n
        if bytes.count < limit { bytes += chunk[..<min(n, limit - bytes.count)] }
    }
}
