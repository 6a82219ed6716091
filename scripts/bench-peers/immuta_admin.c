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
#include "immuta_wire.h"

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
