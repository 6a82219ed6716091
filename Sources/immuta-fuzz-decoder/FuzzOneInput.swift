import ImmutaProtocol
import NIOCore

/// Runs one input through everything that parses bytes from a peer: the frame splitter, then
/// request parsing (as the daemon does) and response parsing with record verification (as the
/// client does). A thrown error is the expected answer to bad bytes; a trap is a finding.
func fuzzOneInput(_ bytes: UnsafeRawBufferPointer) {
    // The daemon's default limit, and a small one so that the frame_too_large path runs too.
    for limit in [16_842_752, 64] {
        var buffer = ByteBuffer(bytes: bytes)
        while let frame = try? FrameDecoder.decodeFrame(from: &buffer, maxFrameLength: limit) {
            checkRequest(frame)
            checkResponse(frame)
        }
    }
}

/// Parses a frame as a request; whatever parses must survive an encode/decode round trip, so the
/// client and the daemon can never disagree about a body both accept.
private func checkRequest(_ frame: Frame) {
    guard let request = try? Request(frame: frame) else { return }
    let again = try? Request(frame: request.frame(requestID: frame.requestID))
    precondition(again == request, "request round trip changed \(request) into \(String(describing: again))")
}

/// Parses a frame as a response, splits any records it carries (checking their checksums), and
/// checks the round trip.
private func checkResponse(_ frame: Frame) {
    guard let response = try? Response(frame: frame) else { return }
    switch response {
    case .records(let header, let index, let data), .delivery(let header, let index, let data),
        .groupDelivery(_, let header, let index, let data):
        _ = try? header.records(index: index, data: data)
    default:
        break
    }
    let again = try? Response(frame: response.frame(requestID: frame.requestID))
    precondition(again == response, "response round trip changed \(response) into \(String(describing: again))")
}
