/* One publisher, many consumers of one NATS JetStream stream: the NATS side of
 * `immutactl bench fanout` in scripts/bench-compare.sh.
 *
 *   nats_fanout -u URL -S STREAM -n RECORDS -c READERS [-d SIZE] [-w WINDOW]
 *
 * READERS threads of one process, each with its own connection and an ordered push consumer
 * (js_SubscribeSync, Ordered, DeliverNew: server-pushed, no acks, like an Immuta subscription).
 * Once every consumer exists, RECORDS messages are published asynchronously with up to WINDOW
 * unacknowledged, and the run lasts until every reader has every message. The rate counts
 * deliveries: RECORDS × READERS. */
#include "nats_common.h"

#include <pthread.h>
#include <unistd.h>

static const char *url, *stream;
static uint64_t records;
static pthread_barrier_t ready;

static void *reader(void *unused) {
    (void)unused;
    natsConnection *nc;
    jsCtx *js;
    nats_connect(url, 0, false, &nc, &js);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream;
    options.Ordered = true;
    options.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription *sub = NULL;
    jsErrCode error = 0;
    nats_check(js_SubscribeSync(&sub, js, stream, NULL, &options, &error), "subscribe");
    nats_check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
    pthread_barrier_wait(&ready);
    for (uint64_t received = 0; received < records; received++) {
        natsMsg *message = NULL;
        nats_check(natsSubscription_NextMsg(&message, sub, 30000), "next message");
        natsMsg_Destroy(message);
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t size = 100;
    int64_t window = 8192;
    int readers = 0, option;
    while ((option = getopt(argc, argv, "u:S:n:c:d:w:")) != -1) {
        switch (option) {
        case 'u': url = optarg; break;
        case 'S': stream = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'c': readers = (int)number_option("-c", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'w': window = number_option("-w", optarg); break;
        default: die("usage: nats_fanout -u URL -S STREAM -n RECORDS -c READERS [-d SIZE] [-w WINDOW]");
        }
    }
    if (!url || !stream || !records || readers < 1 || window < 1) die("-u, -S, -n and -c are required");
    natsConnection *nc;
    jsCtx *js;
    nats_connect(url, window, false, &nc, &js);
    nats_ensure_stream(js, stream);
    pthread_t threads[readers];
    pthread_barrier_init(&ready, NULL, (unsigned)readers + 1);
    for (int i = 0; i < readers; i++) pthread_create(&threads[i], NULL, reader, NULL);
    pthread_barrier_wait(&ready);
    uint64_t start = now_ns();
    char *payload = make_payload(size);
    for (uint64_t i = 0; i < records; i++) {
        nats_check(js_PublishAsync(js, stream, payload, (int)size, NULL), "asynchronous publish");
    }
    nats_check(js_PublishAsyncComplete(js, NULL), "waiting for the acknowledgements");
    for (int i = 0; i < readers; i++) pthread_join(threads[i], NULL);
    double seconds = (double)(now_ns() - start) / 1e9;
    uint64_t delivered = records * (uint64_t)readers;
    report("nats_fanout", delivered, delivered * size, seconds, NULL);
    return 0;
}
