import Foundation
import ImmutaDaemonTesting

// Test-only, not installed: a stand-in for a test runner. It starts immutad through DaemonProcess
// in the directory given, prints the daemon's pid, and waits to be killed. DaemonLifetimeTests
// SIGKILLs it and checks that the daemon dies with it.
guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: immuta-daemon-runner DIRECTORY\n".utf8))
    exit(64)
}
let daemon = try await DaemonProcess.start(in: CommandLine.arguments[1])
FileHandle.standardOutput.write(Data("daemon pid \(daemon.pid)\n".utf8))
while true {
    try await Task.sleep(for: .seconds(3600))
    withExtendedLifetime(daemon) {}
}
