import ImmutaProtocol
import NIOCore
import Testing

/// Several values of every mirror request, with edge values (the server refuses the invalid
/// names; the codec carries them).
let sampleMirrorRequests: [Request] = [
    .mirror(.list),
    .mirror(.control(name: "central", resume: false)),
    .mirror(.control(name: "central", resume: true)),
    .mirror(.control(name: "", resume: false)),
    .mirror(.control(name: "ミラー-🚀", resume: true)),
    .mirror(.control(name: String(repeating: "m", count: 255), resume: false)),
]

private let runningMirror = WireMirror(
    isSource: false, name: "central", topic: "orders", stream: "IMMUTA_web-1_orders", target: "immuta.web-1.orders", state: "running",
    position: 1000, topicEnd: 1002, lagRecords: 2, lagMilliseconds: 35, milliRecordsPerSecond: 9_876_543, records: 1000, duplicates: 3,
    rewinds: 1, lastError: "", lastErrorAt: 0)

private let failingSource = WireMirror(
    isSource: true, name: "inbound", topic: "imports", stream: "CENTRAL", target: "immuta_web-1_inbound", state: "error",
    position: 42, topicEnd: 40, lagRecords: 0, lagMilliseconds: 0, milliRecordsPerSecond: 0, records: 40, duplicates: 0, rewinds: 0,
    lastError: "no responders: stream CENTRAL does not exist", lastErrorAt: 1_700_000_000_000)

private let extremeMirror = WireMirror(
    isSource: false, name: "", topic: "ü", stream: "", target: "主题.🚀", state: "", position: .max, topicEnd: .max, lagRecords: .max,
    lagMilliseconds: .min, milliRecordsPerSecond: .max, records: .max, duplicates: .max, rewinds: .max,
    lastError: String(repeating: "e", count: 1000), lastErrorAt: .min)

/// Several values of MIRROR_LIST_RESULT. Computed, not stored: LeakSanitizer cannot follow the
/// enum-tagged pointers of a global's cases to their arrays, and reported them leaked.
var sampleMirrorResponses: [Response] {
    [
        .mirror(.list([])),
        .mirror(.list([runningMirror])),
        .mirror(.list([runningMirror, failingSource, extremeMirror])),
    ]
}

/// A MIRROR_CONTROL body with a raw action byte.
private func controlBody(name: String, action: UInt8) -> ByteBuffer {
    var body = ByteBuffer()
    body.writeWireString(name)
    body.writeWire(action)
    return body
}

/// The bytes of one entry of a MIRROR_LIST_RESULT, as the server writes them.
private func entryBytes(_ entry: WireMirror) -> [UInt8] {
    let body = Response.mirror(.list([entry])).frame(requestID: 1).body
    return Array(body.readableBytesView.dropFirst(4))
}

/// A MIRROR_LIST_RESULT body: `count`, then `entries` as bytes.
private func listBody(count: UInt32, _ entries: [[UInt8]]) -> ByteBuffer {
    var body = ByteBuffer()
    body.writeWire(count)
    for entry in entries { body.writeBytes(entry) }
    return body
}

@Suite("Mirror codec", .timeLimit(.minutes(5)))
struct MirrorCodecTests {
    @Test("MIRROR_LIST has an empty body; MIRROR_CONTROL is the name then 0 to pause or 1 to resume")
    func requestBodies() throws {
        #expect(Request.mirror(.list).frame(requestID: 1).body.readableBytes == 0)
        for (resume, action) in [(false, UInt8(0)), (true, 1)] {
            let request = Request.mirror(.control(name: "central", resume: resume))
            #expect(request.frame(requestID: 1).body == controlBody(name: "central", action: action))
            #expect(try Request(frame: Frame(opcode: .mirrorControl, requestID: 1, body: controlBody(name: "central", action: action))) == request)
        }
    }

    @Test("every cut of a MIRROR_CONTROL body is invalid_request, which keeps the connection")
    func truncatedControl() {
        for request in sampleMirrorRequests {
            let body = request.frame(requestID: 1).body
            for cut in 0..<body.readableBytes {
                let frame = Frame(opcode: request.opcode, requestID: 1, body: body.getSlice(at: body.readerIndex, length: cut)!)
                let error = #expect(throws: ProtocolError.self) { try Request(frame: frame) }
                #expect(error?.code == .invalidRequest, "\(request) cut at \(cut) of \(body.readableBytes)")
            }
        }
    }

    @Test("action bytes 2 to 255 are invalid_request, not a connection-level error")
    func badAction() {
        for action in UInt8(2)...UInt8.max {
            let frame = Frame(opcode: .mirrorControl, requestID: 1, body: controlBody(name: "central", action: action))
            let error = #expect(throws: ProtocolError.self) { try Request(frame: frame) }
            #expect(error?.code == .invalidRequest, "action \(action)")
            #expect(error?.code.isFatal == false)
            #expect(error?.message.contains("action \(action) is not 0 (pause) or 1 (resume)") == true, "\(String(describing: error))")
        }
    }

    @Test("every cut of a MIRROR_LIST_RESULT body is refused, including one that ends between entries")
    func truncatedList() {
        for response in sampleMirrorResponses {
            let body = response.frame(requestID: 1).body
            for cut in 0..<body.readableBytes {
                let frame = Frame(opcode: .mirrorListResult, requestID: 1, body: body.getSlice(at: body.readerIndex, length: cut)!)
                #expect(throws: ProtocolError.self, "cut at \(cut) of \(body.readableBytes)") { try Response(frame: frame) }
            }
        }
        // A count above the entries that follow: whole entries missing, up to the largest count.
        let entry = entryBytes(runningMirror)
        for count: UInt32 in [1, 2, 3, .max] {
            let frame = Frame(opcode: .mirrorListResult, requestID: 1, body: listBody(count: count, Array(repeating: entry, count: Int(min(count, 2)) - 1)))
            #expect(throws: ProtocolError.self, "count \(count)") { try Response(frame: frame) }
        }
    }

    @Test("kind bytes 2 to 255 are refused in any entry; 0 is a mirror and 1 a source")
    func badKind() throws {
        let (first, second) = (entryBytes(runningMirror), entryBytes(failingSource))
        #expect(first[0] == 0 && second[0] == 1)
        let decoded = try Response(frame: Frame(opcode: .mirrorListResult, requestID: 1, body: listBody(count: 2, [first, second])))
        #expect(decoded == .mirror(.list([runningMirror, failingSource])))
        for kind in UInt8(2)...UInt8.max {
            for position in 0..<2 {
                var entries = [first, second]
                entries[position][0] = kind
                let frame = Frame(opcode: .mirrorListResult, requestID: 1, body: listBody(count: 2, entries))
                let error = #expect(throws: ProtocolError.self) { try Response(frame: frame) }
                #expect(error?.message.contains("kind \(kind) is not 0 (mirror) or 1 (source)") == true, "kind \(kind) in entry \(position)")
            }
        }
    }

    @Test("bytes after the last entry of a MIRROR_LIST_RESULT are refused")
    func trailingBytes() {
        for extra: [UInt8] in [[0], [1], Array(entryBytes(runningMirror).prefix(9))] {
            var body = listBody(count: 1, [entryBytes(runningMirror)])
            body.writeBytes(extra)
            #expect(throws: ProtocolError.self, "\(extra.count) extra bytes") {
                try Response(frame: Frame(opcode: .mirrorListResult, requestID: 1, body: body))
            }
        }
    }
}
