#ifndef C_IMMUTA_CHECKSUM_H
#define C_IMMUTA_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// CRC32C (Castagnoli), the checksum every record and index entry carries.
/// `crc` is the running value: pass 0 for a fresh checksum, or a previous
/// result to extend it over more bytes.
uint32_t immuta_crc32c(uint32_t crc, const void *bytes, size_t count);

/// The portable table-driven (slicing-by-8) implementation. Exposed so that
/// tests can check the hardware path against it and benchmarks can compare.
uint32_t immuta_crc32c_portable(uint32_t crc, const void *bytes, size_t count);

/// 1 when `immuta_crc32c` uses the SSE4.2 `crc32` instruction.
int immuta_crc32c_is_hardware(void);

#endif
