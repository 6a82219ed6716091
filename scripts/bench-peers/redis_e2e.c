/* End-to-end latency through a Redis stream at a fixed rate, the Redis side of
 * `immutactl bench e2e` in scripts/bench-compare.sh.
 *
 *   redis_e2e -s SOCKET -k KEY -n RECORDS -r RATE [-d SIZE] [-w WINDOW]
 *
 * The receiver is a second process (a fork, connected on its own) that waits with
 * `XREAD BLOCK 0 COUNT 1000 STREAMS KEY <last ID>`. The producer sends one `XADD` per record at
 * RATE records/s with up to WINDOW unanswered (default 8, as immutactl's --in-flight). Each record's first
 * 8 bytes are the CLOCK_MONOTONIC time it was due to be sent (little-endian), and the receiver
 * measures from that time to its arrival: a producer that falls behind its schedule adds to the
 * latency instead of hiding it (no coordinated omission), exactly as immutactl does.
 *
 * The stream gets a marker entry first, and the receiver reads from after it, so no record sent
 * after the receiver said it was ready can be missed. */
#include "common.h"

#include <hiredis.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *socket_path, *key;

static redisContext *connect_redis(void) {
    redisContext *c = redisConnectUnix(socket_path);
    if (!c || c->err) die("cannot connect to redis at %s", socket_path);
    return c;
}

/* The receiving process: reads RECORDS entries after `from`, sends its samples up the pipe. */
static void receive(const char *from, uint64_t records, int up) {
    redisContext *c = connect_redis();
    full_write(up, "r", 1);
    char last[64];
    snprintf(last, sizeof last, "%s", from);
    latencies l;
    latencies_init(&l, records);
    while (l.count < records) {
        const char *argv[] = {"XREAD", "BLOCK", "0", "COUNT", "1000", "STREAMS", key, last};
        redisReply *reply = redisCommandArgv(c, 8, argv, NULL);
        if (!reply || reply->type != REDIS_REPLY_ARRAY) die("XREAD: %s", reply ? reply->str : c->errstr);
        redisReply *entries = reply->element[0]->element[1];
        for (size_t i = 0; i < entries->elements; i++) {
            uint64_t arrived = now_ns(), due = 0;
            redisReply *value = entries->element[i]->element[1]->element[1];
            memcpy(&due, value->str, 8); /* little-endian on every Linux host this runs on */
            latencies_add(&l, arrived > due ? arrived - due : 0);
        }
        snprintf(last, sizeof last, "%s", entries->element[entries->elements - 1]->element[0]->str);
        freeReplyObject(reply);
    }
    uint64_t count = l.count;
    full_write(up, &count, sizeof count);
    full_write(up, l.values, l.count * sizeof(uint64_t));
    _exit(0);
}

static void answer(void *reply) {
    redisReply *r = reply;
    if (r->type == REDIS_REPLY_ERROR) die("XADD: %s", r->str);
    freeReplyObject(r);
}

int main(int argc, char **argv) {
    uint64_t records = 0, rate = 1000, size = 100, window = 8;
    int option;
    while ((option = getopt(argc, argv, "s:k:n:r:d:w:")) != -1) {
        switch (option) {
        case 's': socket_path = optarg; break;
        case 'k': key = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'r': rate = (uint64_t)number_option("-r", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'w': window = (uint64_t)number_option("-w", optarg); break;
        default: die("usage: redis_e2e -s SOCKET -k KEY -n RECORDS -r RATE [-d SIZE] [-w WINDOW]");
        }
    }
    if (!socket_path || !key || !records || !rate || size < 8 || !window) die("-s, -k, -n and -r are required; -d at least 8");
    redisContext *c = connect_redis();
    redisReply *marker = redisCommand(c, "XADD %s * f marker", key);
    if (!marker || marker->type != REDIS_REPLY_STRING) die("XADD marker: %s", marker ? marker->str : c->errstr);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) die("pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) {
        close(pipe_fds[0]);
        receive(marker->str, records, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    char ready;
    full_read(pipe_fds[0], &ready, 1);

    char *payload = make_payload(size);
    const char *xadd[] = {"XADD", key, "*", "f", payload};
    size_t lengths[] = {4, strlen(key), 1, 1, size};
    uint64_t interval = 1000000000u / rate, unanswered = 0, start = now_ns() + 1000000;
    void *reply;
    for (uint64_t i = 0; i < records; i++) {
        uint64_t due = start + i * interval;
        wait_until(due);
        memcpy(payload, &due, 8);
        redisAppendCommandArgv(c, 5, xadd, lengths);
        int done = 0;
        while (!done) {
            if (redisBufferWrite(c, &done) != REDIS_OK) die("XADD: %s", c->errstr);
        }
        unanswered++;
        /* Take the answers that are already here without waiting, then wait only while the window
         * is full. */
        struct pollfd readable = {.fd = c->fd, .events = POLLIN};
        if (poll(&readable, 1, 0) == 1 && redisBufferRead(c) != REDIS_OK) die("XADD: %s", c->errstr);
        while (unanswered && redisGetReplyFromReader(c, &reply) == REDIS_OK && reply) answer(reply), unanswered--;
        while (unanswered >= window) {
            if (redisGetReply(c, &reply) != REDIS_OK) die("XADD: %s", c->errstr);
            answer(reply), unanswered--;
        }
    }
    for (; unanswered; unanswered--) {
        if (redisGetReply(c, &reply) != REDIS_OK) die("XADD: %s", c->errstr);
        answer(reply);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    latencies l;
    uint64_t count;
    full_read(pipe_fds[0], &count, sizeof count);
    latencies_init(&l, count);
    full_read(pipe_fds[0], l.values, count * sizeof(uint64_t));
    l.count = count;
    waitpid(child, NULL, 0);
    report("redis_e2e", records, records * size, seconds, &l);
    return 0;
}
