/* Managed delivery through a Redis consumer group, the Redis side of the group row of
 * scripts/bench-compare.sh (`immutactl bench group`).
 *
 *   redis_group -s SOCKET -k KEY -n RECORDS [-b COUNT]
 *
 * Creates a new group at the stream's start (XGROUP CREATE KEY bench-group 0), then one consumer
 * reads new entries with `XREADGROUP GROUP bench-group c COUNT <COUNT> STREAMS KEY >` (each entry
 * becomes pending for it, as an Immuta group delivery is held) and acknowledges every entry of a
 * page with one `XACK` naming them all, sent in the same write as the next XREADGROUP: the batched
 * acks of the Immuta client. Ends when RECORDS entries were read and their last XACK answered, then
 * destroys the group. */
#include "common.h"

#include <hiredis.h>
#include <unistd.h>

static redisReply *expect(redisContext *c, const char *what) {
    void *reply;
    if (redisGetReply(c, &reply) != REDIS_OK) die("%s: %s", what, c->errstr);
    redisReply *r = reply;
    if (r->type == REDIS_REPLY_ERROR) die("%s: %s", what, r->str);
    return r;
}

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
        default: die("usage: redis_group -s SOCKET -k KEY -n RECORDS [-b COUNT]");
        }
    }
    if (!socket_path || !key || !records || !page) die("-s, -k and -n are required");
    redisContext *c = redisConnectUnix(socket_path);
    if (!c || c->err) die("cannot connect to redis at %s", socket_path);
    redisAppendCommand(c, "XGROUP DESTROY %s bench-group", key);
    freeReplyObject(expect(c, "XGROUP DESTROY"));
    redisAppendCommand(c, "XGROUP CREATE %s bench-group 0", key);
    freeReplyObject(expect(c, "XGROUP CREATE"));

    char count[32];
    snprintf(count, sizeof count, "%llu", (unsigned long long)page);
    const char *read_argv[] = {"XREADGROUP", "GROUP", "bench-group", "c", "COUNT", count, "STREAMS", key, ">"};
    /* XACK KEY GROUP id…: room for one page of IDs, filled from each reply. */
    const char **ack_argv = checked_malloc((3 + page) * sizeof(char *));
    char (*ids)[48] = checked_malloc(page * sizeof *ids);
    ack_argv[0] = "XACK";
    ack_argv[1] = key;
    ack_argv[2] = "bench-group";

    uint64_t received = 0, bytes = 0, start = now_ns();
    size_t to_ack = 0;
    int ack_pending = 0;
    while (received < records) {
        if (to_ack) redisAppendCommandArgv(c, 3 + (int)to_ack, ack_argv, NULL), ack_pending = 1;
        redisAppendCommandArgv(c, 9, read_argv, NULL);
        if (ack_pending) freeReplyObject(expect(c, "XACK")), ack_pending = 0;
        redisReply *reply = expect(c, "XREADGROUP");
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) die("XREADGROUP: the stream ended after %llu entries", (unsigned long long)received);
        redisReply *entries = reply->element[0]->element[1];
        if (entries->elements == 0) die("XREADGROUP: the stream ended after %llu entries", (unsigned long long)received);
        to_ack = entries->elements;
        for (size_t i = 0; i < entries->elements; i++) {
            redisReply *entry = entries->element[i];
            snprintf(ids[i], sizeof ids[i], "%s", entry->element[0]->str);
            ack_argv[3 + i] = ids[i];
            bytes += entry->element[1]->element[1]->len;
        }
        received += entries->elements;
        freeReplyObject(reply);
    }
    redisAppendCommandArgv(c, 3 + (int)to_ack, ack_argv, NULL);
    freeReplyObject(expect(c, "XACK"));
    double seconds = (double)(now_ns() - start) / 1e9;
    redisAppendCommand(c, "XGROUP DESTROY %s bench-group", key);
    freeReplyObject(expect(c, "XGROUP DESTROY"));
    report("redis_xreadgroup_xack", received, bytes, seconds, NULL);
    redisFree(c);
    return 0;
}
