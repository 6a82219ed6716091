/* Holds many idle client connections open, for the memory rows of scripts/bench-compare.sh.
 *
 *   conn_hold immuta SOCKET COUNT    HELLO on each (docs/PROTOCOL.md 8.1), waiting for HELLO_OK
 *   conn_hold redis SOCKET COUNT     PING on each, waiting for +PONG
 *   conn_hold nats PORT COUNT        reads INFO, sends CONNECT and PING, waits for PONG (TCP, 127.0.0.1)
 *
 * Each connection completes its handshake, so the server has set it up in full; then the program
 * prints "ready COUNT" and sleeps until it is killed. It speaks the protocols directly (no client
 * library) so that it holds nothing but the sockets. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void send_all(int fd, const void *data, size_t length) {
    const char *p = data;
    while (length) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write: %s", strerror(errno));
        p += n, length -= (size_t)n;
    }
}

static void read_exactly(int fd, void *data, size_t length) {
    char *p = data;
    while (length) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("the server closed a connection during its handshake");
        p += n, length -= (size_t)n;
    }
}

/* Reads until `ending` has arrived (the text protocols answer in lines). */
static void read_until(int fd, const char *ending) {
    char window[256] = {0};
    size_t have = 0, want = strlen(ending);
    for (;;) {
        char byte;
        read_exactly(fd, &byte, 1);
        if (have == sizeof window - 1) memmove(window, window + 1, --have);
        window[have++] = byte;
        window[have] = 0;
        if (have >= want && strcmp(window + have - want, ending) == 0) return;
    }
}

static int unix_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) die("connect %s: %s", path, strerror(errno));
    return fd;
}

static int tcp_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) die("connect 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

static void immuta_hello(int fd) {
    /* length 18, HELLO (0x01), flags 0, reserved 0, request id 1, versions 1..1, name "hold" */
    static const unsigned char hello[] = {18, 0, 0, 0, 0x01, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 4, 0, 'h', 'o', 'l', 'd'};
    send_all(fd, hello, sizeof hello);
    unsigned char header[12];
    read_exactly(fd, header, sizeof header);
    uint32_t length = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 24;
    if (header[4] != 0x81 || length < 8 || length > 4096) die("HELLO was answered with opcode 0x%02x, not HELLO_OK", header[4]);
    char body[4096];
    read_exactly(fd, body, length - 8);
}

int main(int argc, char **argv) {
    if (argc != 4) die("usage: conn_hold immuta|redis|nats SOCKET-OR-PORT COUNT");
    const char *kind = argv[1], *where = argv[2];
    long long count = number_option("COUNT", argv[3]);
    for (long long i = 0; i < count; i++) {
        if (strcmp(kind, "immuta") == 0) {
            immuta_hello(unix_connect(where));
        } else if (strcmp(kind, "redis") == 0) {
            int fd = unix_connect(where);
            send_all(fd, "PING\r\n", 6);
            read_until(fd, "+PONG\r\n");
        } else if (strcmp(kind, "nats") == 0) {
            int fd = tcp_connect((int)number_option("PORT", where));
            read_until(fd, "\r\n"); /* INFO {...} */
            const char *hello = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n";
            send_all(fd, hello, strlen(hello));
            read_until(fd, "PONG\r\n");
        } else {
            die("unknown server kind '%s' (immuta, redis or nats)", kind);
        }
    }
    printf("ready %lld\n", count);
    fflush(stdout);
    for (;;) pause();
}
