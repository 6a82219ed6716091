import ImmutaLocks
import Synchronization
import Logging
import ImmutaStorage

extension MirrorSupervisor {
    /// Starts a mirror for each topic that matches and has none, stops those whose topic is gone,
    /// and starts each source that is not running. Runs on ``changes``.
    func rescan() {
        let (host, mirrors, sources, paused, stopped) = state.withLock { ($0.hostID, $0.mirrors, $0.sources, $0.paused, $0.stopped) }
        guard !stopped else { return }
        let topics = store.list()
        var gone: [TopicMirror] = []
        state.withLock { state in
            for (key, task) in state.topicMirrors where store.existingTopic(task.topic.name) !== task.topic {
                gone.append(task)
                state.topicMirrors[key] = nil
            }
        }
        for task in gone {
            task.stop()
            // A topic created again under the name starts at offset 0: the old resume point
            // would skip its records.
            try? FileIO.removeTree(task.resume.directory)
        }
        for mirror in mirrors {
            for topic in topics where mirror.topics.contains(where: { MirrorNames.matches(topic.name, pattern: $0) }) {
                let key = mirror.name + "\u{0}" + topic.name
                let (running, taken) = state.withLock { state in
                    (state.topicMirrors[key] != nil, state.topicMirrors.values.count { $0.settings.name == mirror.name })
                }
                guard !running else { continue }
                guard taken < mirror.maxTopics else {
                    if state.withLock({ $0.overLimit.insert(key).inserted }) {
                        logger.error(
                            "topic not mirrored: the mirror already has max_topics topics (each takes a thread and a NATS connection); raise max_topics or narrow topics",
                            metadata: ["mirror": "\(mirror.name)", "topic": "\(topic.name)", "max_topics": "\(mirror.maxTopics)"])
                    }
                    continue
                }
                do {
                    let directory = dataDirectory + "/mirrors/" + mirror.name + "/" + topic.name
                    try FileIO.makeDirectory(dataDirectory + "/mirrors/" + mirror.name)
                    let task = try TopicMirror(settings: mirror, host: host, topic: topic, stateDirectory: directory, logger: logger)
                    if paused.contains(mirror.name) { task.control.setPaused(true) }
                    state.withLock { $0.topicMirrors[key] = task }
                    task.start()
                    logger.info("mirroring topic", metadata: ["mirror": "\(mirror.name)", "topic": "\(topic.name)", "stream": "\(task.stream)"])
                } catch {
                    logger.error("cannot start a topic's mirror", metadata: ["mirror": "\(mirror.name)", "topic": "\(topic.name)", "error": "\(error)"])
                }
            }
        }
        for source in sources where state.withLock({ $0.topicSources[source.name] == nil }) {
            do {
                let topic = try store.existingTopic(source.topic) ?? createTopic(source.topic)
                try FileIO.makeDirectory(dataDirectory + "/sources")
                let task = try TopicSource(
                    settings: source, host: host, topic: topic, stateDirectory: dataDirectory + "/sources/" + source.name, logger: logger)
                if paused.contains(source.name) { task.control.setPaused(true) }
                state.withLock { $0.topicSources[source.name] = task }
                task.start()
                logger.info("sourcing stream into topic", metadata: ["source": "\(source.name)", "stream": "\(source.stream)", "topic": "\(source.topic)"])
            } catch {
                logger.error("cannot start a source", metadata: ["source": "\(source.name)", "error": "\(error)"])
            }
        }
    }
}
