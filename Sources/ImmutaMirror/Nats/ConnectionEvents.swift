import CNats
import ImmutaLocks
import Synchronization

/// Whether a connection is up, as libnats reports it. Its callbacks run on libnats' one
/// process-wide callback thread, shared by every connection, so they only set a flag.
final class ConnectionEvents: Sendable {
    private let state = Locked((connected: true, disconnects: 0))

    var isConnected: Bool { state.withLock { $0.connected } }
    var disconnects: Int { state.withLock { $0.disconnects } }

    func disconnected() {
        state.withLock {
            $0.connected = false
            $0.disconnects += 1
        }
    }

    func reconnected() { state.withLock { $0.connected = true } }
}

// libnats calls these on its own threads: C-convention global functions (a closure declared in an
// actor-isolated context would carry that isolation and trap there), with the context object
// passed as an unmanaged pointer.

func onDisconnected(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    Unmanaged<ConnectionEvents>.fromOpaque(closure).takeUnretainedValue().disconnected()
}

func onReconnected(_ connection: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    guard let closure else { return }
    Unmanaged<ConnectionEvents>.fromOpaque(closure).takeUnretainedValue().reconnected()
}
