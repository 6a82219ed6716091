/* What every peer client of scripts/bench-compare.sh shares: the clock, the fixed-rate wait, the
 * 100-byte payload, latency percentiles and the one JSON line each client prints.
 *
 * The clock is CLOCK_MONOTONIC, as in `immutactl bench e2e`, so that a time stamped into a record
 * by one process can be compared with the time another process reads it. Percentiles come from a
 * sorted array of every sample (nearest rank): exact, and small enough for the counts used here,
 * where immutactl uses an HdrHistogram with 3 significant digits; the two agree to within 0.1%. */
#ifndef BENCH_PEERS_COMMON_H
#define BENCH_PEERS_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Sleeps until 100 µs before the deadline, then spins: the same way immutactl's e2e producer keeps
 * its schedule, so both sides send on time to within a few microseconds. */
static inline void wait_until(uint64_t deadline) {
    const uint64_t margin = 100000;
    if (deadline > now_ns() + margin) {
        uint64_t wake = deadline - margin;
        struct timespec t = {.tv_sec = (time_t)(wake / 1000000000u), .tv_nsec = (long)(wake % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
        }
    }
    while (now_ns() < deadline) {
    }
}

static inline void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "bench-peer: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(1);
}

/* Writes or reads all of `length` bytes through a pipe between the e2e processes. */
static inline void full_write(int fd, const void *data, size_t length) {
    const char *p = data;
    while (length) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("pipe write: %s", strerror(errno));
        p += n, length -= (size_t)n;
    }
}

static inline void full_read(int fd, void *data, size_t length) {
    char *p = data;
    while (length) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("the receiver ended early");
        p += n, length -= (size_t)n;
    }
}

static inline void *checked_malloc(size_t bytes) {
    void *memory = malloc(bytes ? bytes : 1);
    if (!memory) die("out of memory (%zu bytes)", bytes);
    return memory;
}

/* A payload of `size` bytes: letters, like immutactl's bench records. */
static inline char *make_payload(size_t size) {
    char *payload = checked_malloc(size);
    for (size_t i = 0; i < size; i++) payload[i] = (char)('a' + i % 26);
    return payload;
}

/* Latency samples in nanoseconds. */
typedef struct {
    uint64_t *values;
    size_t count, capacity;
} latencies;

static inline void latencies_init(latencies *l, size_t capacity) {
    l->values = checked_malloc(capacity * sizeof(uint64_t));
    l->count = 0;
    l->capacity = capacity;
}

static inline void latencies_add(latencies *l, uint64_t nanoseconds) {
    if (l->count == l->capacity) {
        l->capacity = l->capacity ? l->capacity * 2 : 1024;
        l->values = realloc(l->values, l->capacity * sizeof(uint64_t));
        if (!l->values) die("out of memory for latencies");
    }
    l->values[l->count++] = nanoseconds;
}

/* Appends the samples of `from` (another thread's) to `into`. */
static inline void latencies_merge(latencies *into, const latencies *from) {
    for (size_t i = 0; i < from->count; i++) latencies_add(into, from->values[i]);
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile in microseconds (the samples must be sorted). */
static inline double percentile_us(const latencies *l, double percentile) {
    if (l->count == 0) return 0;
    size_t rank = (size_t)(percentile / 100.0 * (double)l->count + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > l->count) rank = l->count;
    return (double)l->values[rank - 1] / 1000.0;
}

/* Prints the JSON line every client ends with: the rate, and the percentiles when there are
 * samples (the same field names as `immutactl bench --json`). */
static inline void report(const char *benchmark, uint64_t records, uint64_t bytes, double seconds, latencies *l) {
    printf("{\"benchmark\":\"%s\",\"records\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
           "\"records_per_sec\":%.3f,\"mb_per_sec\":%.6f",
           benchmark, (unsigned long long)records, (unsigned long long)bytes, seconds,
           seconds > 0 ? (double)records / seconds : 0, seconds > 0 ? (double)bytes / 1e6 / seconds : 0);
    if (l && l->count) {
        qsort(l->values, l->count, sizeof(uint64_t), compare_u64);
        printf(",\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,\"max_us\":%.3f",
               percentile_us(l, 50), percentile_us(l, 90), percentile_us(l, 99), percentile_us(l, 99.9),
               percentile_us(l, 100));
        /* The distribution scripts/bench-plot.py draws: the points immutactl bench reports. */
        static const double points[] = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100};
        printf(",\"percentiles_us\":[");
        for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
            printf("%s[%g,%.3f]", i ? "," : "", points[i], percentile_us(l, points[i]));
        printf("]");
    }
    printf("}\n");
    fflush(stdout);
}

/* Reads a whole number option, refusing anything else. */
static inline long long number_option(const char *name, const char *text) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || end == text || *end || value < 0) die("%s wants a whole number, got '%s'", name, text);
    return value;
}

#endif
