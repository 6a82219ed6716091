import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A RECORDS, DELIVERY or GROUP_DELIVERY frame, built off the event loop and written on it.
///
/// Small replies carry their records in the buffer: one write, and nothing held while queued.
/// Larger ones send the records with sendfile from a duplicate of the segment's descriptor,
/// which lives until the kernel has sent them; when no descriptor is to be had, the reply is cut
/// to what fits in a small copy, so the frame header is never written without its data (the
/// stream would go out of step) and no reply holds more than about 64 KiB of memory.
struct RecordsReply: Sendable {
    /// Replies whose records take at most this many bytes are copied: below it a sendfile costs
    /// more than the copy and a second write.
    static let copyThreshold = 64 << 10
    /// The most records one reply carries. Their index entries travel from memory (32 bytes
    /// each), so this bounds what a reply holds however small the records: 128 KiB.
    static let maxRecords = 4096

    var head: ByteBuffer
    var fileDescriptor: CInt?
    /// The slice whose lease ``fileDescriptor`` is.
    var leasedFrom: LogSlice?
    var filePosition = 0
    var fileLength = 0
    var count = 0
    var dataLength = 0

    /// The size the reply takes in memory while queued.
    var bufferedBytes: Int { head.readableBytes }

    static func make(
        _ opcode: Opcode, requestID: UInt32, slice wanted: LogSlice?, firstOffset: UInt64 = 0, logEnd: UInt64,
        deliveryCount: UInt16? = nil
    ) throws -> RecordsReply {
        var slice = wanted
        var descriptor: CInt?
        if let large = slice, large.dataLength > UInt64(copyThreshold) {
            descriptor = large.leaseDataDescriptor()
            // No descriptor to spare (max_open_segment_files): send fewer records, copied, rather
            // than hold a large copy in memory. The client asks again from where this ends.
            if descriptor == nil { slice = large.prefix(fittingIn: copyThreshold) }
        }
        let count = slice?.count ?? 0
        let indexBytes = slice?.indexBytes.count ?? 0
        let dataLength = Int(slice?.dataLength ?? 0)
        let prefix = deliveryCount == nil ? 0 : 2
        let bodyLength = prefix + WireRecordsHeader.size + indexBytes + dataLength
        let inline = descriptor == nil ? dataLength : 0
        var head = ByteBufferAllocator().buffer(capacity: Frame.headerSize + bodyLength - dataLength + inline)
        Frame.writeHeader(into: &head, opcode: opcode, requestID: requestID, bodyLength: bodyLength)
        if let deliveryCount { head.writeWire(deliveryCount) }
        WireRecordsHeader(firstOffset: slice?.firstOffset ?? firstOffset, count: UInt32(count), logEndOffset: logEnd)
            .encode(into: &head)
        if let slice {
            head.writeBytes(slice.indexBytes)
            if inline > 0 {
                do {
                    try head.writeWithUnsafeMutableBytes(minimumWritableBytes: inline) { buffer in
                        try slice.readData(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<inline]))
                        return inline
                    }
                } catch {
                    if let descriptor { slice.returnDataDescriptor(descriptor) }
                    throw error
                }
            }
        }
        return RecordsReply(
            head: head, fileDescriptor: descriptor, leasedFrom: descriptor == nil ? nil : slice, filePosition: Int(slice?.dataPosition ?? 0),
            fileLength: descriptor == nil ? 0 : dataLength, count: count, dataLength: dataLength)
    }

    /// A DELIVERY of a batch just appended, from memory (see ``AppendedBatch``).
    static func make(_ opcode: Opcode, requestID: UInt32, appended batch: AppendedBatch, allocator: ByteBufferAllocator)
        -> RecordsReply
    {
        let bodyLength = WireRecordsHeader.size + batch.indexAndData.count
        var head = allocator.buffer(capacity: Frame.headerSize + bodyLength)
        Frame.writeHeader(into: &head, opcode: opcode, requestID: requestID, bodyLength: bodyLength)
        WireRecordsHeader(firstOffset: batch.firstOffset, count: UInt32(batch.count), logEndOffset: batch.nextOffset)
            .encode(into: &head)
        head.writeBytes(batch.indexAndData)
        return RecordsReply(head: head, count: batch.count, dataLength: batch.dataLength)
    }

    /// Releases what an unwritten reply holds.
    func discard() {
        if let fileDescriptor, let leasedFrom { leasedFrom.returnDataDescriptor(fileDescriptor) }
    }
}

extension ConnectionHandler {
    /// Writes a reply built by ``RecordsReply/make``, or releases it when the connection is gone.
    func write(_ reply: RecordsReply, flush: Bool) {
        guard let context, state != .closed else {
            reply.discard()
            return
        }
        context.write(wrapOutboundOut(.byteBuffer(reply.head)), promise: nil)
        if let descriptor = reply.fileDescriptor, let slice = reply.leasedFrom {
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
            let region = FileRegion(
                fileHandle: handle, readerIndex: reply.filePosition, endIndex: reply.filePosition + reply.fileLength)
            let promise = context.eventLoop.makePromise(of: Void.self)
            // The lease goes back to the descriptor cache, which closes it and counts it free.
            promise.futureResult.whenComplete { _ in
                if let owned = try? handle.takeDescriptorOwnership() { slice.returnDataDescriptor(owned) }
            }
            context.write(wrapOutboundOut(.fileRegion(region)), promise: promise)
            broker.stats.bytesSentZeroCopy.wrappingAdd(Int64(reply.fileLength), ordering: .relaxed)
        }
        broker.stats.recordsDelivered.wrappingAdd(Int64(reply.count), ordering: .relaxed)
        broker.stats.bytesDelivered.wrappingAdd(Int64(reply.dataLength), ordering: .relaxed)
        if flush { context.flush() }
    }
}
