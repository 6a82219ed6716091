import Foundation
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// MIRROR_LIST and MIRROR_CONTROL as a client written from docs/PROTOCOL.md sends them, to a
/// daemon without mirrors (run in place, so this runner may do everything): what each answers,
/// and that every bad request is a request-level error that keeps the connection open.
@Suite(.timeLimit(.minutes(10))) struct MirrorRequestTests {
    @Test func aDaemonWithoutMirrorsListsNoneAndHasNoneToPause() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        try session.send(.mirror(.list), id: 3)
        #expect(try await session.response() == .mirror(.list([])))
        for name in ["central", "a", "-", "x.y_z", String(repeating: "m", count: 255)] {
            for resume in [false, true] {
                try session.send(.mirror(.control(name: name, resume: resume)), id: 4)
                guard case .error(let error) = try await session.response() else {
                    Issue.record("MIRROR_CONTROL \(name) was not refused")
                    continue
                }
                #expect(error.code == .mirrorNotFound, "\(name): \(error)")
                #expect(error.message.contains("no mirror or source named \(name)"), "\(error)")
            }
        }
        for name in ["", ".hidden", "..", "a/b", "sp ace", "tab\t", "nul\0", "ü", String(repeating: "x", count: 256)] {
            #expect(try await session.errorCode(of: .mirror(.control(name: name, resume: false))) == .invalidName, "\(name.debugDescription)")
        }
        try session.send(.ping, id: 5)
        #expect(try await session.response() == .pong)
        #expect(await daemon.stop() == 0)
    }

    @Test func aBadActionOrABodyOfTheWrongLengthIsInvalidRequest() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        var control = ByteBuffer()
        control.writeWireString("central")
        let name = Array(control.readableBytesView)
        // (id, opcode, body): every action past 1, every cut of a MIRROR_CONTROL body, and bytes
        // after a complete body of either request.
        var frames: [(UInt32, Opcode, [UInt8])] = (UInt8(2)...UInt8.max).map { (UInt32($0), .mirrorControl, name + [$0]) }
        frames += (0...name.count).map { (1000 + UInt32($0), .mirrorControl, Array((name + [0]).prefix($0))) }
        frames += [(2000, .mirrorControl, name + [1, 0]), (2001, .mirrorList, [0]), (2002, .mirrorList, name)]
        for (id, opcode, body) in frames {
            var bytes = ByteBuffer()
            Frame(opcode: opcode, requestID: id, body: ByteBuffer(bytes: body)).encode(into: &bytes)
            try session.connection.send(Array(bytes.readableBytesView))
            let answer = try await session.frame()
            guard case .error(let error) = try Response(frame: answer) else {
                Issue.record("\(opcode) \(body) was answered with \(answer.opcode)")
                continue
            }
            #expect(answer.requestID == id && error.code == .invalidRequest, "\(opcode) \(body): \(error)")
        }
        // Still the same connection.
        try session.send(.mirror(.list), id: 3)
        #expect(try await session.response() == .mirror(.list([])))
        #expect(await daemon.stop() == 0)
    }
}
