import ImmutaMirror
import ImmutaProtocol
import ImmutaStorage
import Synchronization

extension RequestExecutor {
    /// MIRROR_LIST (the entries whose topic the client may see) and MIRROR_CONTROL (pausing or
    /// resuming a whole mirror or source: a daemon-wide setting, so for those who administer
    /// every topic).
    func mirror(_ request: MirrorRequest, requestID: UInt32) throws -> LoopAction {
        switch request {
        case .list:
            let list = broker.mirrorStatuses().filter { access.maySee(identity, topic: $0.topic) }.map(\.wire)
            return { $0.send(.mirror(.list(list)), requestID: requestID) }
        case .control(let name, let resume):
            try SafeName.validate(name, kind: "mirror")
            guard access.administersEverything(identity) else {
                // The name is the client's own, valid, and not looked up yet: it says nothing about
                // what exists, and puts the mirror in the denial's audit entry.
                throw ProtocolError(
                    .permissionDenied,
                    "permission denied: \(identity) may not \(resume ? "resume" : "pause") \(name): pausing or resuming a mirror or source needs admin on every topic")
            }
            guard let supervisor = broker.mirrorSupervisor.withLock({ $0 }), supervisor.setPaused(name, !resume) else {
                throw ProtocolError(.mirrorNotFound, "there is no mirror or source named \(name) in the configuration")
            }
            return { $0.send(.ok, requestID: requestID) }
        }
    }
}
