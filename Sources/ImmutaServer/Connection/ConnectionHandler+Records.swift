import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension ConnectionHandler {
    /// Writes a RECORDS or DELIVERY frame: the header and index entries from memory, then the
    /// records as a file region, which NIO sends with sendfile straight from the segment file.
    func writeRecords(
        _ opcode: Opcode, requestID: UInt32, slice: LogSlice?, firstOffset: UInt64 = 0, logEnd: UInt64, flush: Bool,
        deliveryCount: UInt16? = nil
    ) {
        guard let context, state != .closed else { return }
        let count = slice?.count ?? 0
        let indexBytes = slice?.indexBytes.count ?? 0
        let dataLength = Int(slice?.dataLength ?? 0)
        let prefix = deliveryCount == nil ? 0 : 2
        var buffer = context.channel.allocator.buffer(capacity: Frame.headerSize + prefix + WireRecordsHeader.size + indexBytes)
        Frame.writeHeader(
            into: &buffer, opcode: opcode, requestID: requestID,
            bodyLength: prefix + WireRecordsHeader.size + indexBytes + dataLength)
        if let deliveryCount { buffer.writeWire(deliveryCount) }
        WireRecordsHeader(firstOffset: slice?.firstOffset ?? firstOffset, count: UInt32(count), logEndOffset: logEnd)
            .encode(into: &buffer)
        if let slice { buffer.writeBytes(slice.indexBytes) }
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        if let slice, dataLength > 0 {
            // The region needs its own descriptor: retention may close the segment's before the
            // kernel has sent every byte.
            let descriptor = dup(slice.dataDescriptor)
            if descriptor < 0 {
                fail(ProtocolError(.storageFailure, "dup of \(slice.dataPath) failed: errno \(errno)"), context: context)
                return
            }
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
            let region = FileRegion(
                fileHandle: handle, readerIndex: Int(slice.dataPosition), endIndex: Int(slice.dataPosition) + dataLength)
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { _ in try? handle.close() }
            context.write(wrapOutboundOut(.fileRegion(region)), promise: promise)
            broker.stats.bytesSentZeroCopy.wrappingAdd(Int64(dataLength), ordering: .relaxed)
        }
        broker.stats.recordsDelivered.wrappingAdd(Int64(count), ordering: .relaxed)
        broker.stats.bytesDelivered.wrappingAdd(Int64(dataLength), ordering: .relaxed)
        if flush { context.flush() }
    }
}
