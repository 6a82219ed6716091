import Immuta

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
