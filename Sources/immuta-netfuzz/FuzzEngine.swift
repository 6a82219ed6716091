import ImmutaLocks
import Synchronization

#if canImport(Glibc)
import Glibc
import ImmutaTestSupport
#endif

/// The fuzzing loop: keeps `connections` raw connections open to the daemon and feeds each one
/// the chunks of its ``SessionScript``, with poll(2) over non-blocking sockets so that one slow
/// or full connection never holds up the others, and everything the daemon sends is drained.
///
/// It runs on a thread of its own (it blocks in poll), and shares only ``RunState``.
final class FuzzEngine {
    private struct Slot {
        var socket: RawSocket?
        var script: SessionScript
        var pending: SessionScript.Chunk?
        var written = 0
        /// Frames of this slot fully written; each slot has a fixed share of the budget, so the
        /// frames a slot sends depend on the seed, not on how the slots interleave.
        var sent = 0
        var budget: Int
        var retryAt: Int64 = 0
        /// After a connection-level error: until when the daemon has to close, and why.
        var closeExpected: (deadline: Int64, reason: String)?
        var responses = ResponseScanner()
    }

    private let socketPath: String
    private let state: RunState
    /// Seconds the daemon may refuse connections, or keep one open after a connection-level error.
    private let patience: Double
    private var slots: [Slot]
    /// Since when connecting has failed without a success in between (nil: it works).
    private var failingSince: Int64?
    /// Responses by kind, when asked for (nil: not counted, to save the work).
    private var responses: ResponseScanner.Tally?
    /// What each connection sent, when asked for, to replay a failure.
    private var transcripts: Transcripts?

    init(
        socketPath: String, connections: Int, frames: Int?, seed: UInt64, patience: Double, countResponses: Bool,
        transcriptDirectory: String?, state: RunState
    ) {
        self.socketPath = socketPath
        responses = countResponses ? ResponseScanner.Tally() : nil
        transcripts = transcriptDirectory.map { Transcripts(directory: $0, slots: connections) }
        self.state = state
        self.patience = patience
        slots = (0..<connections).map { index in
            let share = frames.map { $0 / connections + (index < $0 % connections ? 1 : 0) } ?? Int.max
            return Slot(script: SessionScript(random: SeededGenerator(seed: seed, stream: UInt64(index) + 1)), budget: share)
        }
    }

    /// Runs until every slot has sent its share, or the run is stopped.
    func run() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer {
            scratch.deallocate()
            for index in slots.indices { slots[index].socket?.close() }
            if let responses { state.responses.withLock { $0 = responses } }
            if let transcripts, !state.failures.isEmpty { report(transcripts.saveAll()) }
            state.fuzzFinished.store(true, ordering: .releasing)
        }
        var polled: [pollfd] = []
        var polledSlots: [Int] = []
        while !state.stopFuzzing.load(ordering: .acquiring) {
            polled.removeAll(keepingCapacity: true)
            polledSlots.removeAll(keepingCapacity: true)
            for index in slots.indices where prepare(index) {
                let events = POLLIN | (slots[index].pending == nil ? 0 : POLLOUT)
                polled.append(pollfd(fd: slots[index].socket!.fd, events: Int16(events), revents: 0))
                polledSlots.append(index)
            }
            if polled.isEmpty {
                if slots.allSatisfy({ $0.sent >= $0.budget }) { return }
                usleep(10_000)  // every slot is waiting to reconnect
                continue
            }
            guard poll(&polled, nfds_t(polled.count), 50) >= 0 || errno == EINTR else {
                state.fail("poll failed: errno \(errno)")
                return
            }
            for (entry, index) in zip(polled, polledSlots) where entry.revents != 0 {
                service(index, events: Int32(entry.revents), scratch: scratch)
            }
        }
    }

    /// Makes sure slot `index` has a connection and a chunk to send; false when it has nothing to
    /// do now (its share is sent, or reconnecting must wait).
    private func prepare(_ index: Int) -> Bool {
        if slots[index].sent >= slots[index].budget && slots[index].pending == nil {
            if let socket = slots[index].socket {
                socket.close()
                slots[index].socket = nil
                state.clientCloses.add(1, ordering: .relaxed)
            }
            return false
        }
        if slots[index].socket == nil {
            guard RunState.now() >= slots[index].retryAt else { return false }
            guard let socket = RawSocket.connect(path: socketPath) else {
                noteConnectFailure(index, errno: errno)
                return false
            }
            failingSince = nil
            slots[index].socket = socket
            slots[index].pending = nil
            slots[index].script.begin()
            slots[index].responses.reset()
            transcripts?.connected(index)
            state.connectionsOpened.add(1, ordering: .relaxed)
        }
        if let (deadline, reason) = slots[index].closeExpected {
            // Send nothing more: it would be thrown away unread.
            if RunState.now() > deadline {
                state.fail(
                    "the daemon kept connection slot \(index) open \(Int(patience)) s after \(reason) (section 6 says it closes)")
            }
            return true
        }
        if slots[index].pending == nil {
            slots[index].pending = slots[index].script.next()
            slots[index].written = 0
        }
        return true
    }

    /// Reads what arrived and writes what the socket takes.
    private func service(_ index: Int, events: Int32, scratch: UnsafeMutableRawBufferPointer) {
        guard let socket = slots[index].socket else { return }
        if events & (POLLIN | POLLHUP | POLLERR) != 0 {
            let outcome = socket.drain(into: scratch) { bytes in
                if responses != nil { slots[index].responses.scan(bytes, into: &responses!) }
            }
            switch outcome {
            case .progress(let count):
                state.bytesReceived.add(count, ordering: .relaxed)
                if count > 0 { state.fuzzProgress.store(RunState.now(), ordering: .relaxed) }
            case .wouldBlock:
                break
            case .closed:
                closedByServer(index)
                return
            }
        }
        guard events & POLLOUT != 0, let chunk = slots[index].pending else { return }
        switch socket.write(chunk.bytes, from: slots[index].written) {
        case .progress(let count):
            state.bytesSent.add(count, ordering: .relaxed)
            state.fuzzProgress.store(RunState.now(), ordering: .relaxed)
            transcripts?.wrote(chunk.bytes[slots[index].written..<slots[index].written + count], slot: index)
            slots[index].written += count
            guard slots[index].written == chunk.bytes.count else { return }
            slots[index].pending = nil
            slots[index].sent += chunk.frames
            state.framesSent.add(chunk.frames, ordering: .relaxed)
            if chunk.closeAfter {
                socket.close()
                slots[index].socket = nil
                state.clientCloses.add(1, ordering: .relaxed)
            } else if let reason = chunk.mustClose {
                slots[index].closeExpected = (RunState.now() + Int64(patience * 1e9), reason)
            }
        case .wouldBlock:
            break
        case .closed:
            closedByServer(index)
        }
    }

    /// The daemon closed the connection (as it must after a connection-level error): drop the
    /// chunk being written and reconnect.
    private func closedByServer(_ index: Int) {
        slots[index].socket?.close()
        slots[index].socket = nil
        slots[index].pending = nil
        slots[index].closeExpected = nil
        state.serverCloses.add(1, ordering: .relaxed)
        state.fuzzProgress.store(RunState.now(), ordering: .relaxed)
    }

    /// A refused connect: retry shortly; a daemon that refuses for too long is down.
    private func noteConnectFailure(_ index: Int, errno error: Int32) {
        state.connectFailures.add(1, ordering: .relaxed)
        slots[index].retryAt = RunState.now() + 10_000_000
        let now = RunState.now()
        let since = failingSince ?? now
        failingSince = since
        if Double(now - since) / 1e9 > patience {
            state.fail("cannot reconnect to \(socketPath) for \(Int(patience)) s (last errno \(error))")
        }
    }

    private func report(_ files: [String]) {
        for file in files { print("immuta-netfuzz: saved \(file) (replay it with --replay)") }
    }
}
