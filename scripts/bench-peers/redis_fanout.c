/* One producer, many readers of one Redis stream: the Redis side of `immutactl bench fanout` in
 * scripts/bench-compare.sh.
 *
 *   redis_fanout -s SOCKET -k KEY -n RECORDS -c READERS [-d SIZE] [-P PIPELINE]
 *
 * READERS threads of one process, each on its own connection, wait for new entries with
 * `XREAD BLOCK 0 COUNT 1000 STREAMS KEY <last ID>` (as immutactl's subscribers are connections of
 * one process). Once all are connected, the producer sends RECORDS `XADD`s pipelined PIPELINE at a
 * time (1000: immutactl's batch), and the run lasts until every reader has every record. The rate
 * counts deliveries: RECORDS × READERS. A marker entry written first is where the readers start. */
#include "common.h"

#include <hiredis.h>
#include <pthread.h>
#include <unistd.h>

static const char *socket_path, *key;
static char start_id[64];
static uint64_t records;
static pthread_barrier_t ready;

static redisContext *connect_redis(void) {
    redisContext *c = redisConnectUnix(socket_path);
    if (!c || c->err) die("cannot connect to redis at %s", socket_path);
    return c;
}

static void *reader(void *unused) {
    (void)unused;
    redisContext *c = connect_redis();
    char last[64];
    snprintf(last, sizeof last, "%s", start_id);
    pthread_barrier_wait(&ready);
    uint64_t received = 0;
    while (received < records) {
        const char *argv[] = {"XREAD", "BLOCK", "0", "COUNT", "1000", "STREAMS", key, last};
        redisReply *reply = redisCommandArgv(c, 8, argv, NULL);
        if (!reply || reply->type != REDIS_REPLY_ARRAY) die("XREAD: %s", reply ? reply->str : c->errstr);
        redisReply *entries = reply->element[0]->element[1];
        received += entries->elements;
        snprintf(last, sizeof last, "%s", entries->element[entries->elements - 1]->element[0]->str);
        freeReplyObject(reply);
    }
    redisFree(c);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t size = 100, pipeline = 1000;
    int readers = 0, option;
    while ((option = getopt(argc, argv, "s:k:n:c:d:P:")) != -1) {
        switch (option) {
        case 's': socket_path = optarg; break;
        case 'k': key = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'c': readers = (int)number_option("-c", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'P': pipeline = (uint64_t)number_option("-P", optarg); break;
        default: die("usage: redis_fanout -s SOCKET -k KEY -n RECORDS -c READERS [-d SIZE] [-P PIPELINE]");
        }
    }
    if (!socket_path || !key || !records || readers < 1 || !pipeline) die("-s, -k, -n and -c are required");
    redisContext *c = connect_redis();
    redisReply *marker = redisCommand(c, "XADD %s * f marker", key);
    if (!marker || marker->type != REDIS_REPLY_STRING) die("XADD marker: %s", marker ? marker->str : c->errstr);
    snprintf(start_id, sizeof start_id, "%s", marker->str);
    freeReplyObject(marker);

    pthread_t threads[readers];
    pthread_barrier_init(&ready, NULL, (unsigned)readers + 1);
    for (int i = 0; i < readers; i++) pthread_create(&threads[i], NULL, reader, NULL);
    pthread_barrier_wait(&ready);
    /* The barrier says each reader is connected; its first XREAD may still be on its way, which
     * does not matter: it reads from the marker's ID, so nothing after it can be missed. */
    uint64_t start = now_ns();
    char *payload = make_payload(size);
    const char *xadd[] = {"XADD", key, "*", "f", payload};
    size_t lengths[] = {4, strlen(key), 1, 1, size};
    for (uint64_t sent = 0; sent < records;) {
        uint64_t batch = records - sent < pipeline ? records - sent : pipeline;
        for (uint64_t i = 0; i < batch; i++) redisAppendCommandArgv(c, 5, xadd, lengths);
        for (uint64_t i = 0; i < batch; i++) {
            void *reply;
            if (redisGetReply(c, &reply) != REDIS_OK) die("XADD: %s", c->errstr);
            freeReplyObject(reply);
        }
        sent += batch;
    }
    for (int i = 0; i < readers; i++) pthread_join(threads[i], NULL);
    double seconds = (double)(now_ns() - start) / 1e9;
    uint64_t delivered = records * (uint64_t)readers;
    report("redis_fanout", delivered, delivered * size, seconds, NULL);
    return 0;
}
