/* Reads a Redis stream from its start, the Redis side of the catch-up rows of
 * scripts/bench-compare.sh.
 *
 *   redis_consume -s SOCKET -k KEY -n RECORDS [-b COUNT]
 *
 * Pages through the stream with `XRANGE KEY <start> + COUNT <COUNT>`, each page starting after the
 * last entry of the one before (`(ID`), until RECORDS entries have arrived: how a Redis client
 * catches up on a stream. Each page waits for the one before, since its start is the last ID
 * read. Counts the bytes of each entry's field value (the payload). */
#include "common.h"

#include <hiredis.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *socket_path = NULL, *key = NULL;
    uint64_t records = 0, page = 1000;
    int option;
    while ((option = getopt(argc, argv, "s:k:n:b:")) != -1) {
        switch (option) {
        case 's': socket_path = optarg; break;
        case 'k': key = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'b': page = (uint64_t)number_option("-b", optarg); break;
        default: die("usage: redis_consume -s SOCKET -k KEY -n RECORDS [-b COUNT]");
        }
    }
    if (!socket_path || !key || !records || !page) die("-s, -k and -n are required");
    redisContext *c = redisConnectUnix(socket_path);
    if (!c || c->err) die("cannot connect to redis at %s", socket_path);
    char start[64] = "-", count[32];
    snprintf(count, sizeof count, "%llu", (unsigned long long)page);
    uint64_t received = 0, bytes = 0, begin = now_ns();
    while (received < records) {
        const char *argv_[] = {"XRANGE", key, start, "+", "COUNT", count};
        redisReply *reply = redisCommandArgv(c, 6, argv_, NULL);
        if (!reply) die("XRANGE: %s", c->errstr);
        if (reply->type != REDIS_REPLY_ARRAY) die("XRANGE: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "not an array");
        if (reply->elements == 0) die("XRANGE: the stream ended after %llu of %llu entries", (unsigned long long)received, (unsigned long long)records);
        for (size_t i = 0; i < reply->elements; i++) {
            redisReply *fields = reply->element[i]->element[1];
            bytes += fields->element[1]->len;
        }
        redisReply *last = reply->element[reply->elements - 1]->element[0];
        snprintf(start, sizeof start, "(%s", last->str);
        received += reply->elements;
        freeReplyObject(reply);
    }
    double seconds = (double)(now_ns() - begin) / 1e9;
    report("redis_xrange", received, bytes, seconds, NULL);
    redisFree(c);
    return 0;
}
