import Synchronization

/// Set once something running in the background has failed, for a loop that must stop then.
final class FailureFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
