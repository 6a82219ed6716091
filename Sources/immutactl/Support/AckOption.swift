import ArgumentParser
import Immuta

/// `--ack write|fsync`.
enum AckOption: String, ExpressibleByArgument, CaseIterable {
    case write
    case fsync

    var ack: Ack { self == .write ? .write : .fsync }
}
