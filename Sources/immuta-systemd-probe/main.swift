// A test helper, not installed: the ImmutaSystemd tests run it as a child process, so that what systemd
// sets up for a service (NOTIFY_SOCKET, WATCHDOG_USEC, LISTEN_FDS, the journal socket) is set up for the
// child only and never touches the test process. Each mode prints what it observed on standard output.
import Glibc
import ImmutaSystemd
import Logging

/// Sends the notifications of a daemon's life in order: ready, status, reloading, watchdog, stopping.
func notify() throws {
    let notifier = SystemdNotifier()
    let sent = [
        try notifier.ready(),
        try notifier.status("serving 3 topics\nfrom /var/lib/immuta"),
        try notifier.reloading(),
        try notifier.watchdog(),
        try notifier.stopping(),
    ]
    print("sent=\(sent.map(String.init).joined(separator: ","))")
}

/// Prints what the notifier reads from the environment.
func environment() {
    let notifier = SystemdNotifier()
    do {
        if let interval = try notifier.watchdogInterval {
            let (seconds, attoseconds) = interval.components
            print("watchdog=\(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)")
        } else {
            print("watchdog=none")
        }
    } catch {
        print("watchdog-error=\(error)")
    }
    print("journal=\(notifier.isUnderJournal)")
}

/// Lists the inherited sockets, then answers one connection on the first.
func listen() throws {
    let notifier = SystemdNotifier()
    let sockets = try notifier.listenedSockets()
    for socket in sockets {
        print("socket fd=\(socket.fileDescriptor) name=\(socket.name)")
    }
    print("again=\(try notifier.listenedSockets().count)")
    guard let first = sockets.first else { return }
    let connection = accept(first.fileDescriptor, nil, nil)
    guard connection >= 0 else { fatalError("accept failed: errno \(errno)") }
    let greeting = Array("hello from \(first.name)\n".utf8)
    _ = write(connection, greeting, greeting.count)
    close(connection)
}

/// Logs through the handler LoggingSetup picks, forced to the journal: one statement with the metadata the
/// daemon uses, and one below the level that must not arrive. Prints where the first was made.
func journal() {
    LoggingSetup.bootstrap(level: .info, forceJournal: true)
    var logger = Logger(label: "immutad")
    logger[metadataKey: "topic"] = "orders"
    logger.debug("below the level")
    let line = #line + 1
    logger.warning(
        "produce rejected\nbatch too large",
        metadata: ["group": "billing", "client_pid": "4242", "client": "worker-1", "request.id": "17"]
    )
    print("file=\(#fileID)")
    print("line=\(line)")
    print("function=\(#function)")
}

/// Logs through the handler LoggingSetup picks at the level given as the second argument.
func stderrLog() throws {
    let level = try LoggingSetup.parseLevel(CommandLine.arguments.dropFirst(2).first ?? "")
    print("destination=\(LoggingSetup.bootstrap(level: level))")
    let logger = Logger(label: "immutad")
    logger.debug("debug line", metadata: ["topic": "orders"])
    logger.info("info line", metadata: ["topic": "orders", "client_pid": "7"])
}

do {
    switch CommandLine.arguments.dropFirst().first {
    case "notify": try notify()
    case "environment": environment()
    case "listen": try listen()
    case "journal": journal()
    case "stderr": try stderrLog()
    default:
        print("usage: immuta-systemd-probe notify|environment|listen|journal|stderr LEVEL")
        exit(2)
    }
} catch {
    print("error=\(error)")
    exit(1)
}
