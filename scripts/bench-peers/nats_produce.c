/* Publishes to a NATS JetStream stream, the NATS side of the produce rows of
 * scripts/bench-compare.sh (and the untimed filling of the read rows).
 *
 *   nats_produce -u URL -S STREAM -n RECORDS -d SIZE [-c PRODUCERS] [-w WINDOW] [-r REPLICAS] [-y]
 *
 * Each of PRODUCERS threads has its own connection. By default it publishes asynchronously
 * (js_PublishAsync) with up to WINDOW messages unacknowledged, and waits for the last
 * acknowledgement (js_PublishAsyncComplete): JetStream's way to batch. With -y every publish
 * waits for its acknowledgement (js_Publish) and the round trips are reported as percentiles.
 * The rate is all records over the wall time from the moment every producer is connected to the
 * last acknowledgement. The stream is created (file storage, REPLICAS copies, default 1) when
 * missing. */
#include "nats_common.h"

#include <pthread.h>
#include <unistd.h>

static const char *url, *stream;
static uint64_t per_producer, size;
static int64_t window = 8192;
static int synchronous;
static pthread_barrier_t ready;

typedef struct {
    latencies l;
} producer_result;

static void *producer(void *argument) {
    producer_result *result = argument;
    natsConnection *nc;
    jsCtx *js;
    nats_connect(url, window, false, &nc, &js);
    char *payload = make_payload(size);
    latencies_init(&result->l, synchronous ? per_producer : 0);
    pthread_barrier_wait(&ready);
    for (uint64_t i = 0; i < per_producer; i++) {
        if (synchronous) {
            jsPubAck *ack = NULL;
            jsErrCode error = 0;
            uint64_t before = now_ns();
            nats_check(js_Publish(&ack, js, stream, payload, (int)size, NULL, &error), "publish");
            latencies_add(&result->l, now_ns() - before);
            jsPubAck_Destroy(ack);
        } else {
            nats_check(js_PublishAsync(js, stream, payload, (int)size, NULL), "asynchronous publish");
        }
    }
    if (!synchronous) nats_check(js_PublishAsyncComplete(js, NULL), "waiting for the acknowledgements");
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(payload);
    return NULL;
}

int main(int argc, char **argv) {
    uint64_t records = 0;
    int producers = 1, replicas = 1, option;
    while ((option = getopt(argc, argv, "u:S:n:d:c:w:r:y")) != -1) {
        switch (option) {
        case 'u': url = optarg; break;
        case 'S': stream = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'c': producers = (int)number_option("-c", optarg); break;
        case 'w': window = number_option("-w", optarg); break;
        case 'r': replicas = (int)number_option("-r", optarg); break;
        case 'y': synchronous = 1; break;
        default: die("usage: nats_produce -u URL -S STREAM -n RECORDS -d SIZE [-c PRODUCERS] [-w WINDOW] [-r REPLICAS] [-y]");
        }
    }
    if (!url || !stream || !records || producers < 1 || window < 1) die("-u, -S and -n are required");
    per_producer = records / (uint64_t)producers;
    {
        natsConnection *nc;
        jsCtx *js;
        nats_connect(url, 0, false, &nc, &js);
        nats_ensure_stream_replicas(js, stream, replicas);
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
    }
    pthread_t threads[producers];
    producer_result results[producers];
    pthread_barrier_init(&ready, NULL, (unsigned)producers + 1);
    for (int i = 0; i < producers; i++) pthread_create(&threads[i], NULL, producer, &results[i]);
    pthread_barrier_wait(&ready);
    uint64_t start = now_ns();
    latencies all;
    latencies_init(&all, synchronous ? records : 0);
    for (int i = 0; i < producers; i++) {
        pthread_join(threads[i], NULL);
        latencies_merge(&all, &results[i].l);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    uint64_t sent = per_producer * (uint64_t)producers;
    report(synchronous ? "nats_js_publish" : "nats_js_publish_async", sent, sent * size, seconds, synchronous ? &all : NULL);
    return 0;
}
