import Synchronization

/// Watches a run from the main task: the daemon must stay alive, the fuzz connections must keep
/// moving bytes, and the well-behaved client must keep making progress. Anything else is a crash
/// or a hang, and fails the run.
struct Monitor {
    let state: RunState
    let probe: DaemonProbe?
    let hangSeconds: Double
    private(set) var peakRSS: Int?
    private var clientActivity = -1
    private var clientActivityStamp = RunState.now()
    private var verified = -1
    private var lagStamp = RunState.now()

    init(state: RunState, probe: DaemonProbe?, hangSeconds: Double) {
        self.state = state
        self.probe = probe
        self.hangSeconds = hangSeconds
    }

    mutating func check() {
        let now = RunState.now()
        if let probe {
            guard probe.isAlive else {
                state.fail("immutad (pid \(probe.pid)) is no longer running")
                return
            }
            if let rss = probe.residentKiB { peakRSS = max(peakRSS ?? 0, rss) }
        }
        let fuzzIdle = RunState.secondsSince(state.fuzzProgress.load(ordering: .relaxed))
        if !state.fuzzFinished.load(ordering: .acquiring), fuzzIdle > hangSeconds {
            state.fail("no fuzz connection moved a byte for \(Int(hangSeconds)) s: the daemon stopped reading and writing")
        }
        guard !state.clientFinished.load(ordering: .acquiring) else { return }
        // The client works sequentially, so some counter moves unless one of its calls hangs.
        let produced = state.recordsProduced.load(ordering: .relaxed)
        let nowVerified = state.recordsVerified.load(ordering: .relaxed)
        let activity = produced + nowVerified + state.recordsFetchChecked.load(ordering: .relaxed)
        if activity != clientActivity {
            clientActivity = activity
            clientActivityStamp = now
        } else if Double(now - clientActivityStamp) / 1e9 > hangSeconds {
            state.fail("the well-behaved client made no progress for \(Int(hangSeconds)) s (a request was never answered)")
        }
        // Its subscription must keep up while there is something to deliver.
        if nowVerified != verified || nowVerified >= produced {
            verified = nowVerified
            lagStamp = now
        } else if Double(now - lagStamp) / 1e9 > hangSeconds {
            state.fail(
                "the well-behaved subscription delivered nothing for \(Int(hangSeconds)) s with \(produced - nowVerified) records pending")
        }
    }
}
