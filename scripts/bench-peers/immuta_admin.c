/* What scripts/bench-compare.sh needs from immutad beyond `immutactl bench`, spoken directly in
 * the wire protocol (docs/PROTOCOL.md):
 *
 *   immuta_admin wait SOCKET TIMEOUT_MS   connects and says HELLO every millisecond until the
 *                                         daemon answers HELLO_OK (exit 0) or the time is up (1):
 *                                         readiness, and the end of the start-up time
 *   immuta_admin populate SOCKET COUNT    creates COUNT topics (durability none, other settings
 *                                         the daemon's defaults) and one consumer group on each
 *                                         (GROUP_OFFSET creates it at the earliest record), 64
 *                                         requests in flight, and prints the time it took
 *
 * One process doing 20,000 requests on one connection, rather than 20,000 immutactl processes. */
#include "common.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    unsigned char bytes[1024];
    size_t length;
} frame;

static void put(frame *f, const void *data, size_t length) {
    memcpy(f->bytes + f->length, data, length);
    f->length += length;
}
static void put_u8(frame *f, uint8_t v) { put(f, &v, 1); }
static void put_u16(frame *f, uint16_t v) { put(f, &v, 2); } /* little-endian host */
static void put_u32(frame *f, uint32_t v) { put(f, &v, 4); }
static void put_u64(frame *f, uint64_t v) { put(f, &v, 8); }
static void put_string(frame *f, const char *s) {
    put_u16(f, (uint16_t)strlen(s));
    put(f, s, strlen(s));
}

/* Starts a frame: the length is filled in by finish(). */
static void begin(frame *f, uint8_t opcode, uint32_t request) {
    f->length = 0;
    put_u32(f, 0);
    put_u8(f, opcode);
    put_u8(f, 0);
    put_u16(f, 0);
    put_u32(f, request);
}
static void finish(frame *f) {
    uint32_t length = (uint32_t)f->length - 4;
    memcpy(f->bytes, &length, 4);
}

static int send_all(int fd, const void *data, size_t length) {
    const char *p = data;
    while (length) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n, length -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t length) {
    char *p = data;
    while (length) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n, length -= (size_t)n;
    }
    return 0;
}

/* Reads one frame; returns its opcode, and an ERROR's code and message in `error`. */
static int read_frame(int fd, char *error, size_t error_size) {
    unsigned char header[12];
    if (read_all(fd, header, 12) != 0) die("the daemon closed the connection");
    uint32_t length;
    memcpy(&length, header, 4);
    if (length < 8 || length > (1u << 24)) die("a frame of length %u", length);
    unsigned char *body = checked_malloc(length - 8);
    if (read_all(fd, body, length - 8) != 0) die("the daemon closed the connection");
    if (header[4] == 0xFF && length >= 12) {
        uint16_t code, size;
        memcpy(&code, body, 2);
        memcpy(&size, body + 2, 2);
        snprintf(error, error_size, "error %u: %.*s", code, (int)size, (const char *)body + 4);
    }
    free(body);
    return header[4];
}

/* Connects and says HELLO; -1 when the daemon is not there (yet). */
static int connect_hello(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    frame f;
    begin(&f, 0x01, 1);
    put_u16(&f, 1);
    put_u16(&f, 1);
    put_string(&f, "bench-compare");
    finish(&f);
    unsigned char header[12];
    if (send_all(fd, f.bytes, f.length) != 0 || read_all(fd, header, 12) != 0 || header[4] != 0x81) {
        close(fd);
        return -1;
    }
    uint32_t length;
    memcpy(&length, header, 4);
    char rest[4096];
    if (length < 8 || length - 8 > sizeof rest || read_all(fd, rest, length - 8) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int wait_ready(const char *path, uint64_t timeout_ms) {
    uint64_t deadline = now_ns() + timeout_ms * 1000000u;
    for (;;) {
        int fd = connect_hello(path);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (now_ns() > deadline) {
            fprintf(stderr, "immuta_admin: immutad at %s did not answer HELLO within %llu ms\n", path, (unsigned long long)timeout_ms);
            return 1;
        }
        usleep(1000);
    }
}

static void populate(const char *path, uint32_t count) {
    int fd = connect_hello(path);
    if (fd < 0) die("cannot connect to immutad at %s", path);
    const uint32_t window = 64, requests = 2 * count;
    uint32_t sent = 0, answered = 0;
    uint64_t start = now_ns();
    char name[32], error[512];
    /* Request 2i+2 creates topic i, request 2i+3 creates its group; a group's request is sent after
     * its topic's, and one connection's requests run in order (PROTOCOL.md 16.1). */
    while (answered < requests) {
        while (sent < requests && sent - answered < window) {
            uint32_t topic = sent / 2;
            snprintf(name, sizeof name, "scale-%05u", topic);
            frame f;
            if (sent % 2 == 0) {
                begin(&f, 0x10, sent + 2); /* CREATE_TOPIC */
                put_string(&f, name);
                put_u64(&f, 0), put_u64(&f, 0), put_u64(&f, 0), put_u64(&f, 0);
                put_string(&f, "none");
            } else {
                begin(&f, 0x45, sent + 2); /* GROUP_OFFSET, which creates the group */
                put_string(&f, name);
                put_string(&f, "g");
                put_u8(&f, 0), put_u64(&f, 0);
            }
            finish(&f);
            if (send_all(fd, f.bytes, f.length) != 0) die("the daemon closed the connection");
            sent++;
        }
        int opcode = read_frame(fd, error, sizeof error);
        if (opcode == 0xFF) die("a topic or group was refused: %s", error);
        answered++;
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    printf("{\"benchmark\":\"populate\",\"topics\":%u,\"groups\":%u,\"seconds\":%.6f}\n", count, count, seconds);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "wait") == 0) return wait_ready(argv[2], (uint64_t)number_option("TIMEOUT_MS", argv[3]));
    if (argc == 4 && strcmp(argv[1], "populate") == 0) {
        populate(argv[2], (uint32_t)number_option("COUNT", argv[3]));
        return 0;
    }
    die("usage: immuta_admin wait SOCKET TIMEOUT_MS | populate SOCKET COUNT");
}
