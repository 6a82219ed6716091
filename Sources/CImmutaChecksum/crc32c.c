// CRC32C in C rather than Swift: the SSE4.2 `crc32` instruction is reachable
// here through a target attribute with a runtime CPU check, and runs several
// times faster than any table-driven code. The portable path is the classic
// slicing-by-8 algorithm, used on CPUs without SSE4.2 and as a test oracle.
#include "CImmutaChecksum.h"

#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int table_ready = 0;
static int hw_state = -1; // -1 unknown, 0 no, 1 yes

static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ POLY : crc >> 1;
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xff] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t immuta_crc32c_portable(uint32_t crc, const void *bytes, size_t count) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
    const unsigned char *p = (const unsigned char *)bytes;
    crc = ~crc;
    while (count && ((uintptr_t)p & 7)) {
        crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
        count--;
    }
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = table[7][word & 0xff] ^ table[6][(word >> 8) & 0xff] ^ table[5][(word >> 16) & 0xff] ^
              table[4][(word >> 24) & 0xff] ^ table[3][(word >> 32) & 0xff] ^ table[2][(word >> 40) & 0xff] ^
              table[1][(word >> 48) & 0xff] ^ table[0][word >> 56];
        p += 8;
        count -= 8;
    }
    while (count--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
#include <cpuid.h>

__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t c = ~crc;
    while (count && ((uintptr_t)p & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        count--;
    }
    // One dependent chain of 8-byte steps: about 8 bytes per 3 cycles, which
    // already outruns the page-cache copy that precedes every check.
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        count -= 8;
    }
    while (count--) c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

static int detect_hw(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) ? 1 : 0;
}
#endif

int immuta_crc32c_is_hardware(void) {
#if defined(__x86_64__)
    int state = __atomic_load_n(&hw_state, __ATOMIC_RELAXED);
    if (state < 0) {
        state = detect_hw();
        __atomic_store_n(&hw_state, state, __ATOMIC_RELAXED);
    }
    return state;
#else
    return 0;
#endif
}

uint32_t immuta_crc32c(uint32_t crc, const void *bytes, size_t count) {
#if defined(__x86_64__)
    if (immuta_crc32c_is_hardware()) return crc32c_sse42(crc, bytes, count);
#endif
    return immuta_crc32c_portable(crc, bytes, count);
}
