/* End-to-end latency through a NATS JetStream stream at a fixed rate, the NATS side of
 * `immutactl bench e2e` in scripts/bench-compare.sh.
 *
 *   nats_e2e -u URL -S STREAM -n RECORDS -r RATE [-d SIZE] [-w WINDOW]
 *
 * The receiver is a second process (forked before either side touches libnats, whose threads do
 * not survive a fork) with an ordered push consumer (js_SubscribeSync, Ordered, DeliverNew): the
 * server pushes each stored message to it, with no acks, as an Immuta subscription does. It says
 * it is ready once the consumer exists, so no message published afterwards is missed. The producer
 * publishes asynchronously at RATE messages/s with up to WINDOW (default 8, as immutactl's
 * --in-flight) unacknowledged, each written to the socket at once (SendAsap: without it the
 * library's flusher thread adds a wake-up, about 0.6 ms at the median here). Each message's first
 * 8 bytes are the CLOCK_MONOTONIC time it was due (little-endian), and the receiver measures from
 * that time (no coordinated omission). */
#include "nats_common.h"

#include <sys/wait.h>
#include <unistd.h>

static void receive(const char *url, const char *stream, uint64_t records, int up) {
    natsConnection *nc;
    jsCtx *js;
    nats_connect(url, 0, false, &nc, &js);
    nats_ensure_stream(js, stream);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream;
    options.Ordered = true;
    options.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription *sub = NULL;
    jsErrCode error = 0;
    nats_check(js_SubscribeSync(&sub, js, stream, NULL, &options, &error), "subscribe");
    nats_check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
    full_write(up, "r", 1);
    latencies l;
    latencies_init(&l, records);
    while (l.count < records) {
        natsMsg *message = NULL;
        nats_check(natsSubscription_NextMsg(&message, sub, 30000), "next message");
        uint64_t arrived = now_ns(), due = 0;
        if (natsMsg_GetDataLength(message) < 8) die("a message without its time stamp");
        memcpy(&due, natsMsg_GetData(message), 8);
        latencies_add(&l, arrived > due ? arrived - due : 0);
        natsMsg_Destroy(message);
    }
    uint64_t count = l.count;
    full_write(up, &count, sizeof count);
    full_write(up, l.values, l.count * sizeof(uint64_t));
    natsSubscription_Unsubscribe(sub);
    _exit(0);
}

int main(int argc, char **argv) {
    const char *url = NULL, *stream = NULL;
    uint64_t records = 0, rate = 1000, size = 100;
    int64_t window = 8;
    int option;
    while ((option = getopt(argc, argv, "u:S:n:r:d:w:")) != -1) {
        switch (option) {
        case 'u': url = optarg; break;
        case 'S': stream = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'r': rate = (uint64_t)number_option("-r", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'w': window = number_option("-w", optarg); break;
        default: die("usage: nats_e2e -u URL -S STREAM -n RECORDS -r RATE [-d SIZE] [-w WINDOW]");
        }
    }
    if (!url || !stream || !records || !rate || size < 8 || window < 1) die("-u, -S, -n and -r are required; -d at least 8");
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) die("pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) {
        close(pipe_fds[0]);
        receive(url, stream, records, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    char ready;
    full_read(pipe_fds[0], &ready, 1);

    natsConnection *nc;
    jsCtx *js;
    nats_connect(url, window, true, &nc, &js);
    char *payload = make_payload(size);
    uint64_t interval = 1000000000u / rate, start = now_ns() + 1000000;
    for (uint64_t i = 0; i < records; i++) {
        uint64_t due = start + i * interval;
        wait_until(due);
        memcpy(payload, &due, 8);
        nats_check(js_PublishAsync(js, stream, payload, (int)size, NULL), "asynchronous publish");
    }
    nats_check(js_PublishAsyncComplete(js, NULL), "waiting for the acknowledgements");
    double seconds = (double)(now_ns() - start) / 1e9;
    latencies l;
    uint64_t count;
    full_read(pipe_fds[0], &count, sizeof count);
    latencies_init(&l, count);
    full_read(pipe_fds[0], l.values, count * sizeof(uint64_t));
    l.count = count;
    waitpid(child, NULL, 0);
    report("nats_e2e", records, records * size, seconds, &l);
    return 0;
}
