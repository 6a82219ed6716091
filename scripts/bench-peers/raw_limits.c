/* The machine's own limits, against which the queues are judged (scripts/bench-compare.sh):
 *
 *   raw_limits bandwidth BYTES      one process writes BYTES through a Unix stream socket in
 *                                   64 KiB writes, another reads them in 64 KiB reads: MB/s
 *   raw_limits pingpong COUNT       two processes send a 64-byte message back and forth over a
 *                                   Unix stream socket COUNT times: round-trip percentiles
 *   raw_limits fdatasync DIR COUNT  appends 108 bytes (a 100-byte record and its 8-byte size) to a
 *                                   new file in DIR and fdatasyncs it, COUNT times: percentiles
 *
 * Each prints one JSON line (common.h). The two processes are a fork, as a queue's client and
 * server are two processes, so that the figures include the kernel's cross-process wake-up. */
#include "common.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { chunk = 64 * 1024, message = 64 };

static void exact_write(int fd, const char *buffer, size_t length) {
    while (length) {
        ssize_t n = write(fd, buffer, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write: %s", strerror(errno));
        buffer += n;
        length -= (size_t)n;
    }
}

static void exact_read(int fd, char *buffer, size_t length) {
    while (length) {
        ssize_t n = read(fd, buffer, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("read: %s", n ? strerror(errno) : "end of stream");
        buffer += n;
        length -= (size_t)n;
    }
}

static void socket_pair(int pair[2]) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) die("socketpair: %s", strerror(errno));
}

static void bandwidth(uint64_t bytes) {
    int pair[2];
    socket_pair(pair);
    char *buffer = make_payload(chunk);
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) { /* the reader: counts until it has all the bytes, then says so */
        close(pair[0]);
        uint64_t received = 0;
        while (received < bytes) {
            ssize_t n = read(pair[1], buffer, chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) _exit(1);
            received += (uint64_t)n;
        }
        exact_write(pair[1], "k", 1);
        _exit(0);
    }
    close(pair[1]);
    uint64_t start = now_ns();
    for (uint64_t sent = 0; sent < bytes; sent += chunk) {
        exact_write(pair[0], buffer, bytes - sent < chunk ? (size_t)(bytes - sent) : chunk);
    }
    char done;
    exact_read(pair[0], &done, 1);
    double seconds = (double)(now_ns() - start) / 1e9;
    waitpid(child, NULL, 0);
    report("raw_socket_bandwidth", bytes / chunk, bytes, seconds, NULL);
}

static void pingpong(uint64_t count) {
    int pair[2];
    socket_pair(pair);
    char buffer[message];
    memset(buffer, 'p', sizeof buffer);
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) { /* the echo side */
        close(pair[0]);
        for (uint64_t i = 0; i < count; i++) {
            exact_read(pair[1], buffer, message);
            exact_write(pair[1], buffer, message);
        }
        _exit(0);
    }
    close(pair[1]);
    latencies l;
    latencies_init(&l, count);
    uint64_t start = now_ns();
    for (uint64_t i = 0; i < count; i++) {
        uint64_t before = now_ns();
        exact_write(pair[0], buffer, message);
        exact_read(pair[0], buffer, message);
        latencies_add(&l, now_ns() - before);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    waitpid(child, NULL, 0);
    report("raw_socket_pingpong", count, count * message, seconds, &l);
}

static void fdatasync_latency(const char *directory, uint64_t count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/raw-fdatasync.XXXXXX", directory);
    int fd = mkstemp(path);
    if (fd < 0) die("mkstemp in %s: %s", directory, strerror(errno));
    char *record = make_payload(108);
    latencies l;
    latencies_init(&l, count);
    uint64_t start = now_ns();
    for (uint64_t i = 0; i < count; i++) {
        uint64_t before = now_ns();
        exact_write(fd, record, 108);
        if (fdatasync(fd) != 0) die("fdatasync: %s", strerror(errno));
        latencies_add(&l, now_ns() - before);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    close(fd);
    unlink(path);
    report("raw_fdatasync", count, count * 108, seconds, &l);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "bandwidth") == 0) {
        bandwidth((uint64_t)number_option("BYTES", argv[2]));
    } else if (argc == 3 && strcmp(argv[1], "pingpong") == 0) {
        pingpong((uint64_t)number_option("COUNT", argv[2]));
    } else if (argc == 4 && strcmp(argv[1], "fdatasync") == 0) {
        fdatasync_latency(argv[2], (uint64_t)number_option("COUNT", argv[3]));
    } else {
        die("usage: raw_limits bandwidth BYTES | pingpong COUNT | fdatasync DIR COUNT");
    }
    return 0;
}
