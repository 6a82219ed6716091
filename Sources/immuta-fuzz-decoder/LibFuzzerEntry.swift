// Compiled only for `scripts/fuzz.sh decoder`, which links libFuzzer (-sanitize=fuzzer).
#if IMMUTA_LIBFUZZER
/// libFuzzer calls this for every input it generates.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    fuzzOneInput(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer's driver (exported by its runtime since LLVM 11).
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// SwiftPM links an executable target with `main` aliased to `<module>_main` (so tests can link
/// the target), which would hide libFuzzer's own `main`; this stands in for it and hands the
/// command line to libFuzzer's driver.
@_cdecl("immuta_fuzz_decoder_main")
public func fuzzerMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { start, count in fuzz(start, count) }
}
#endif
