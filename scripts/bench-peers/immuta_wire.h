/* The Immuta wire protocol (docs/PROTOCOL.md) as the peer clients that speak it directly need it:
 * building request frames, reading answer frames, and a connection that has said HELLO.
 * Little-endian hosts only, as every field is copied in host order. */
#ifndef BENCH_PEERS_IMMUTA_WIRE_H
#define BENCH_PEERS_IMMUTA_WIRE_H

#include "common.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    unsigned char bytes[1024];
    size_t length;
} frame;

static inline void put(frame *f, const void *data, size_t length) {
    memcpy(f->bytes + f->length, data, length);
    f->length += length;
}
static inline void put_u8(frame *f, uint8_t v) { put(f, &v, 1); }
static inline void put_u16(frame *f, uint16_t v) { put(f, &v, 2); } /* little-endian host */
static inline void put_u32(frame *f, uint32_t v) { put(f, &v, 4); }
static inline void put_u64(frame *f, uint64_t v) { put(f, &v, 8); }
static inline void put_string(frame *f, const char *s) {
    put_u16(f, (uint16_t)strlen(s));
    put(f, s, strlen(s));
}

/* Starts a frame: the length is filled in by finish(). */
static inline void begin(frame *f, uint8_t opcode, uint32_t request) {
    f->length = 0;
    put_u32(f, 0);
    put_u8(f, opcode);
    put_u8(f, 0);
    put_u16(f, 0);
    put_u32(f, request);
}
static inline void finish(frame *f) {
    uint32_t length = (uint32_t)f->length - 4;
    memcpy(f->bytes, &length, 4);
}

static inline int send_all(int fd, const void *data, size_t length) {
    const char *p = data;
    while (length) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n, length -= (size_t)n;
    }
    return 0;
}

static inline int read_all(int fd, void *data, size_t length) {
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
static inline int read_frame(int fd, char *error, size_t error_size) {
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
static inline int connect_hello(const char *path) {
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

#endif
