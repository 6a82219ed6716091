import Dispatch

/// Runs tasks one job at a time, in the order they were enqueued.
///
/// `produce` pipelines several batches on one connection, and their offsets must follow the order
/// of the input. Tasks started on this executor run their first job in creation order, and that
/// first job reaches `ImmutaClient.send`, which queues the request on the connection before the
/// task first suspends. So requests leave in creation order, and the daemon, which handles one
/// connection's requests in order, gives them ascending offsets.
final class SerialTaskExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "immutactl.serial")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
