import ImmutaProtocol
import NIOCore

extension ImmutaClient {
    /// Joins a consumer group with managed delivery: the daemon hands each record to one member,
    /// redelivers what a member does not ack in time, and commits the low-water mark of acks.
    /// Across a lost connection or a daemon restart the member joins again (see ``GroupConsumer``).
    ///
    /// ```swift
    /// let consumer = try await client.joinGroup("orders", group: "billing", from: .earliest)
    /// for try await message in consumer {
    ///     try process(message.record)
    ///     message.ack()
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - start: where a new group starts (default `latest`); ignored when the group exists.
    ///   - stopWhenIdle: end the sequence once the group has nothing left for this member (the
    ///     end of the topic is reached and it holds nothing unacknowledged).
    ///   - maxInFlight: this member's own limit on the records it holds unacknowledged, when lower
    ///     than the group's `max_in_flight` (which `options` sets only for a new group).
    public func joinGroup(
        _ topic: String, group: String, from start: StartPosition = .latest, options: GroupOptions = GroupOptions(),
        stopWhenIdle: Bool = false, maxInFlight: Int? = nil
    ) async throws -> GroupConsumer {
        let memberLimit = UInt32(clamping: maxInFlight ?? 0)
        let (connection, id, stream, committed) = try await repeatingOnLoss { connection in
            let id = makeRequestID()
            let (stream, committed) = try await GroupMembership.join(
                on: connection, id: id, topic: topic, group: group, start: start, options: options, maxInFlight: memberLimit)
            return (connection, id, stream, committed)
        }
        let membership = GroupMembership(
            topic: topic, group: group, start: start, options: options, maxInFlight: memberLimit,
            leg: .init(connection: connection, memberID: id, acks: AckBuffer(client: self, connection: connection, memberID: id)))
        return GroupConsumer(
            committedOffset: committed, client: self, membership: membership, firstBatches: stream, stopWhenIdle: stopWhenIdle)
    }

    /// The group's committed offset, creating the group at `start` if it does not exist. With
    /// ``commit(_:group:offset:)`` this is manual (Kafka-style) consumption: fetch or subscribe
    /// from the committed offset, then commit what you processed.
    public func committedOffset(_ topic: String, group: String, creatingAt start: StartPosition = .latest) async throws -> UInt64 {
        guard case .group(.committed(let offset)) = try await send(.group(.offset(topic: topic, group: group, start: start.wire)))
        else { throw unexpected("GROUP_OFFSET") }
        return offset
    }

    /// Commits a group's offset manually: everything below `offset` is processed. Commits only
    /// move forward (see ``resetGroup(_:group:to:execute:force:)`` to move back).
    public func commit(_ topic: String, group: String, offset: UInt64) async throws {
        _ = try await send(.group(.commit(topic: topic, group: group, offset: offset)))
    }

    /// Groups of a topic, or of every topic when `topic` is nil.
    public func listGroups(topic: String? = nil) async throws -> [GroupDescription] {
        guard case .group(.list(let infos)) = try await send(.group(.list(topic: topic ?? ""))) else {
            throw unexpected("GROUP_LIST")
        }
        return infos.map(GroupDescription.init)
    }

    /// A group's offsets, lag, in-flight records and members.
    public func describeGroup(_ topic: String, group: String) async throws -> GroupDescription {
        guard case .group(.info(let info)) = try await send(.group(.describe(topic: topic, group: group))) else {
            throw unexpected("GROUP_DESCRIBE")
        }
        return GroupDescription(info)
    }

    /// What recovery did to a group when immutad started (a damaged offset log cut back, a
    /// committed offset moved back to a topic's recovered end); empty when nothing. An older
    /// immutad that does not know the request answers `unknown_opcode` and closes the connection.
    public func groupRecoveryNotes(_ topic: String, group: String) async throws -> [String] {
        guard case .group(.recoveryNotes(let notes)) = try await send(.group(.recovery(topic: topic, group: group))) else {
            throw unexpected("GROUP_RECOVERY")
        }
        return notes
    }

    /// Moves a group's committed offset. Without `execute` it only reports the plan (a dry run).
    /// Refused while the group has members, unless `force`.
    public func resetGroup(
        _ topic: String, group: String, to target: GroupResetTarget, execute: Bool, force: Bool = false
    ) async throws -> GroupResetPlan {
        let response = try await send(
            .group(.reset(topic: topic, group: group, target: target.wire, execute: execute, force: force)))
        guard case .group(.resetPlan(let current, let target, let executed)) = response else { throw unexpected("GROUP_RESET") }
        return GroupResetPlan(currentOffset: current, targetOffset: target, executed: executed)
    }

    /// Deletes a group with no members.
    public func deleteGroup(_ topic: String, group: String) async throws {
        _ = try await send(.group(.delete(topic: topic, group: group)))
    }
}
