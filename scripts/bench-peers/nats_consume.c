/* Reads a NATS JetStream stream from its start through a pull consumer, the NATS side of the
 * catch-up rows and of the group row of scripts/bench-compare.sh.
 *
 *   nats_consume -u URL -S STREAM -n RECORDS [-b BATCH] [-a]
 *
 * Catch-up (default): an ephemeral pull consumer with no acks (AckNone) from the first message,
 * fetching BATCH messages per request (natsSubscription_Fetch) until RECORDS have arrived: as
 * `immutactl bench consume`, which reads without acknowledging.
 *
 * Group (-a): a new durable pull consumer with explicit acks, up to 10,000 unacknowledged (the
 * group in-flight limit `immutactl bench group` uses), each message acknowledged (natsMsg_Ack,
 * which sends the ack without waiting for an answer); at the end one flush (a PING answered after
 * the server has read every ack before it) stands for "the last acknowledgement reached the
 * server". The consumer is deleted afterwards, so the next run starts from the beginning again.
 *
 * As with immutactl, the timing includes creating the consumer. */
#include "nats_common.h"

#include <unistd.h>

int main(int argc, char **argv) {
    const char *url = NULL, *stream = NULL;
    uint64_t records = 0;
    int batch = 1000, acks = 0, option;
    while ((option = getopt(argc, argv, "u:S:n:b:a")) != -1) {
        switch (option) {
        case 'u': url = optarg; break;
        case 'S': stream = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'b': batch = (int)number_option("-b", optarg); break;
        case 'a': acks = 1; break;
        default: die("usage: nats_consume -u URL -S STREAM -n RECORDS [-b BATCH] [-a]");
        }
    }
    if (!url || !stream || !records || batch < 1) die("-u, -S and -n are required");
    natsConnection *nc;
    jsCtx *js;
    nats_connect(url, 0, false, &nc, &js);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream;
    options.Config.DeliverPolicy = js_DeliverAll;
    options.Config.AckPolicy = acks ? js_AckExplicit : js_AckNone;
    if (acks) options.Config.MaxAckPending = 10000;
    options.Config.MaxRequestBatch = batch;
    const char *durable = acks ? "bench-group" : NULL;

    natsSubscription *sub = NULL;
    jsErrCode error = 0;
    if (acks) js_DeleteConsumer(js, stream, durable, NULL, &error); /* left by a run that failed */
    uint64_t received = 0, bytes = 0, start = now_ns();
    nats_check(js_PullSubscribe(&sub, js, stream, durable, NULL, &options, &error), "pull subscribe");
    /* The library buffers at most 64 MiB or 65,536 messages per subscription by default; lift that,
     * so that a fetch of large messages is never cut short as a slow consumer. */
    nats_check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
    while (received < records) {
        natsMsgList list = {0};
        uint64_t wanted = records - received;
        natsStatus status = natsSubscription_Fetch(&list, sub, wanted < (uint64_t)batch ? (int)wanted : batch, 10000, &error);
        if (status != NATS_OK) die("fetch after %llu of %llu messages: %s", (unsigned long long)received, (unsigned long long)records, natsStatus_GetText(status));
        for (int i = 0; i < list.Count; i++) {
            bytes += (uint64_t)natsMsg_GetDataLength(list.Msgs[i]);
            if (acks) nats_check(natsMsg_Ack(list.Msgs[i], NULL), "ack");
        }
        received += (uint64_t)list.Count;
        natsMsgList_Destroy(&list);
    }
    if (acks) nats_check(natsConnection_Flush(nc), "flush");
    double seconds = (double)(now_ns() - start) / 1e9;
    if (acks) {
        js_DeleteConsumer(js, stream, durable, NULL, &error);
    } else {
        natsSubscription_Unsubscribe(sub);
    }
    natsSubscription_Destroy(sub);
    report(acks ? "nats_pull_ack" : "nats_pull", received, bytes, seconds, NULL);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}
