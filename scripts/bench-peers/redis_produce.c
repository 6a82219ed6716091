/* Appends to a Redis stream with XADD, the Redis side of the produce rows of
 * scripts/bench-compare.sh (and the untimed filling of the read rows).
 *
 *   redis_produce -s SOCKET -k KEY -n RECORDS -d SIZE [-c CLIENTS] [-P PIPELINE]
 *
 * Each of CLIENTS threads has its own connection and sends RECORDS/CLIENTS commands
 * `XADD KEY * f <SIZE bytes>`, keeping up to PIPELINE of them unanswered (pipelining: Redis has
 * no XADD of many entries, so this is its way to batch). With -P 1 each command waits for its
 * answer, and the round trips are reported as percentiles. The rate is all records over the wall
 * time from the moment every client is connected to the last answer. Durability is the server's
 * (appendfsync everysec or always, set by the script). */
#include "common.h"

#include <hiredis.h>
#include <pthread.h>
#include <unistd.h>

static const char *socket_path, *key;
static uint64_t per_client, size;
static int pipeline = 1;
static pthread_barrier_t ready;

typedef struct {
    latencies l;
} client_result;

static void check_reply(redisContext *c, redisReply *reply) {
    if (!reply) die("XADD: %s", c->errstr);
    if (reply->type == REDIS_REPLY_ERROR) die("XADD: %s", reply->str);
    freeReplyObject(reply);
}

static void *client(void *argument) {
    client_result *result = argument;
    redisContext *c = redisConnectUnix(socket_path);
    if (!c || c->err) die("cannot connect to redis at %s", socket_path);
    char *payload = make_payload(size);
    const char *argv[] = {"XADD", key, "*", "f", payload};
    size_t lengths[] = {4, strlen(key), 1, 1, size};
    latencies_init(&result->l, pipeline == 1 ? per_client : 0);
    pthread_barrier_wait(&ready);
    uint64_t unanswered = 0;
    void *reply;
    for (uint64_t i = 0; i < per_client; i++) {
        if (pipeline == 1) {
            uint64_t before = now_ns();
            reply = redisCommandArgv(c, 5, argv, lengths);
            check_reply(c, reply);
            latencies_add(&result->l, now_ns() - before);
            continue;
        }
        redisAppendCommandArgv(c, 5, argv, lengths);
        if (++unanswered == (uint64_t)pipeline) { /* hiredis sends the queued commands on the first read */
            for (; unanswered; unanswered--) {
                if (redisGetReply(c, &reply) != REDIS_OK) die("XADD: %s", c->errstr);
                check_reply(c, reply);
            }
        }
    }
    for (; unanswered; unanswered--) {
        if (redisGetReply(c, &reply) != REDIS_OK) die("XADD: %s", c->errstr);
        check_reply(c, reply);
    }
    redisFree(c);
    free(payload);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t records = 0;
    int clients = 1, option;
    while ((option = getopt(argc, argv, "s:k:n:d:c:P:")) != -1) {
        switch (option) {
        case 's': socket_path = optarg; break;
        case 'k': key = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'c': clients = (int)number_option("-c", optarg); break;
        case 'P': pipeline = (int)number_option("-P", optarg); break;
        default: die("usage: redis_produce -s SOCKET -k KEY -n RECORDS -d SIZE [-c CLIENTS] [-P PIPELINE]");
        }
    }
    if (!socket_path || !key || !records || clients < 1 || pipeline < 1) die("-s, -k and -n are required");
    per_client = records / (uint64_t)clients;
    pthread_t threads[clients];
    client_result results[clients];
    pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
    for (int i = 0; i < clients; i++) pthread_create(&threads[i], NULL, client, &results[i]);
    pthread_barrier_wait(&ready);
    uint64_t start = now_ns();
    latencies all;
    latencies_init(&all, pipeline == 1 ? records : 0);
    for (int i = 0; i < clients; i++) {
        pthread_join(threads[i], NULL);
        latencies_merge(&all, &results[i].l);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    uint64_t sent = per_client * (uint64_t)clients;
    report("redis_xadd", sent, sent * size, seconds, pipeline == 1 ? &all : NULL);
    return 0;
}
