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
#include <pthread.h>

// The `crc32` instruction has a latency of about 3 cycles but can start one every cycle, so a
// single dependent chain uses a third of it. Long inputs are therefore cut into three equal
// blocks checksummed side by side, and the three results are joined afterwards.
//
// Joining works because the raw CRC register (without the initial and final inversion) is linear:
// the register after A||B equals the register after A advanced over |B| zero bytes, XORed with the
// register of B started from zero. Advancing over a fixed number of zero bytes is a 32x32 bit
// matrix, kept here as four 256-entry tables (one per byte of the register).
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

typedef struct {
    uint32_t t[4][256];
} zeros_table;

static zeros_table zeros_long, zeros_short;
static pthread_once_t zeros_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2"))) static uint32_t advance_over_zeros(uint32_t crc, size_t count) {
    uint64_t c = crc;
    for (size_t i = 0; i < count / 8; i++) c = __builtin_ia32_crc32di(c, 0);
    return (uint32_t)c;
}

__attribute__((target("sse4.2"))) static void build_zeros(zeros_table *table, size_t count) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) basis[bit] = advance_over_zeros(1u << bit, count);
    for (int k = 0; k < 4; k++) {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t value = 0;
            for (int bit = 0; bit < 8; bit++)
                if (b & (1u << bit)) value ^= basis[8 * k + bit];
            table->t[k][b] = value;
        }
    }
}

static void build_zeros_tables(void) {
    build_zeros(&zeros_long, LONG_BLOCK);
    build_zeros(&zeros_short, SHORT_BLOCK);
}

static inline uint32_t shift(const zeros_table *table, uint32_t crc) {
    return table->t[0][crc & 0xff] ^ table->t[1][(crc >> 8) & 0xff] ^ table->t[2][(crc >> 16) & 0xff] ^
           table->t[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static inline uint64_t crc32c_three_blocks(
    uint64_t c, const unsigned char **cursor, size_t *count, size_t block, const zeros_table *table) {
    const unsigned char *p = *cursor;
    while (*count >= 3 * block) {
        uint64_t c1 = 0, c2 = 0;
        const unsigned char *end = p + block;
        do {
            uint64_t w0, w1, w2;
            memcpy(&w0, p, 8);
            memcpy(&w1, p + block, 8);
            memcpy(&w2, p + 2 * block, 8);
            c = __builtin_ia32_crc32di(c, w0);
            c1 = __builtin_ia32_crc32di(c1, w1);
            c2 = __builtin_ia32_crc32di(c2, w2);
            p += 8;
        } while (p < end);
        c = shift(table, (uint32_t)c) ^ c1;
        c = shift(table, (uint32_t)c) ^ c2;
        p += 2 * block;
        *count -= 3 * block;
    }
    *cursor = p;
    return c;
}

// x86 loads unaligned words at full speed, so there is no byte-by-byte prologue to reach an
// aligned address: for short inputs (a 100-byte payload, a 28-byte index entry) that prologue
// cost more than the rest. The tail takes at most one 4-, one 2- and one 1-byte step.
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t c = ~crc;
    if (count >= 3 * SHORT_BLOCK) {
        c = crc32c_three_blocks(c, &p, &count, LONG_BLOCK, &zeros_long);
        c = crc32c_three_blocks(c, &p, &count, SHORT_BLOCK, &zeros_short);
    }
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    if (count & 4) {
        uint32_t word;
        memcpy(&word, p, 4);
        c32 = __builtin_ia32_crc32si(c32, word);
        p += 4;
    }
    if (count & 2) {
        uint16_t half;
        memcpy(&half, p, 2);
        c32 = __builtin_ia32_crc32hi(c32, half);
        p += 2;
    }
    if (count & 1) c32 = __builtin_ia32_crc32qi(c32, *p);
    return ~c32;
}

static int detect_hw(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & bit_SSE4_2)) return 0;
    pthread_once(&zeros_once, build_zeros_tables);
    return 1;
}
#endif

int immuta_crc32c_is_hardware(void) {
#if defined(__x86_64__)
    // Acquire/release: a thread that sees 1 also sees the tables detect_hw() built.
    int state = __atomic_load_n(&hw_state, __ATOMIC_ACQUIRE);
    if (state < 0) {
        state = detect_hw();
        __atomic_store_n(&hw_state, state, __ATOMIC_RELEASE);
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
