// The storage engine benchmark: `swift run -c release immuta-storage-bench --help`.
// The command lives in StorageBench.swift; this file only starts it. The call sits in an async
// function so that overload resolution picks AsyncParsableCommand's async `main()` rather than
// ParsableCommand's synchronous one (which would never reach the async `run()`).
import ArgumentParser

func runBenchmark() async { await StorageBench.main() }

await runBenchmark()
