/* Reads a stream an immutad mirror writes and measures how far behind the local log it is, for
 * scripts/bench-mirror.sh.
 *
 *   nats_mirror_lag -u URL[,URL...] -S STREAM [-s SUBJECT] [-n RECORDS] [-a] [-i IDLE_MS]
 *                   [-f FIRST_MS] [-r READY_FILE]
 *
 * An ordered push consumer (js_SubscribeSync, Ordered: ephemeral, no acks, the library restarts it
 * at the right sequence after a gap), as nats_e2e's receiver, reads the new messages (or all of
 * them with -a) of STREAM on SUBJECT (default: the stream's first subject). The mirror stamps each
 * message with headers Immuta-Offset (the record's offset) and Immuta-Timestamp (the time immutad
 * appended the record, ns since the Unix epoch), so a message's lag is its arrival here
 * (CLOCK_REALTIME) minus Immuta-Timestamp: the mirror's read, the publish, the replication to the
 * stream's replicas and the delivery to this consumer. Both clocks are the same machine's.
 *
 * Every offset must be the previous one plus 1: a larger one counts as a gap (its missing records
 * in `missing`), a smaller or equal one as `backwards` (a duplicate, or a record out of order);
 * `order_errors` is their sum, and a message without the two headers counts in `bad_headers`.
 *
 * It stops after RECORDS messages (0: no limit), after IDLE_MS (default 10,000) without a message
 * once the first arrived, after FIRST_MS (default 60,000) without any (the stream need not exist
 * yet), or on SIGINT/SIGTERM, and prints one JSON object: `records_per_sec` is the arrival rate
 * from the first message to the last, the lag in ms (`lag_p50_ms`… `lag_max_ms`), and its
 * distribution as `percentiles_us` pairs like the other peers, for scripts/bench-plot.py. Once the
 * consumer exists it creates READY_FILE, so that a script starts the load only then. Exit status 0
 * when the count was reached with no order error, 2 when it stopped short or saw one, 1 on failure. */
#include "nats_common.h"

#include <signal.h>

static volatile sig_atomic_t stop_requested = 0;
static void request_stop(int signal_number) { (void)signal_number, stop_requested = 1; }

static uint64_t realtime_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* A header's decimal value, or false when it is missing or not a whole number. */
static bool header_number(natsMsg *message, const char *name, uint64_t *value) {
    const char *text = NULL;
    if (natsMsgHeader_Get(message, name, &text) != NATS_OK || !text || !*text) return false;
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno || *end || text[0] == '-') return false;
    *value = parsed;
    return true;
}

/* The connection to every URL of a comma-separated list (the library picks one and fails over). */
static void connect_servers(char *urls, natsConnection **nc, jsCtx **js) {
    const char *servers[16];
    int count = 0;
    for (char *url = strtok(urls, ","); url; url = strtok(NULL, ",")) {
        if (count == 16) die("-u takes at most 16 URLs");
        servers[count++] = url;
    }
    if (!count) die("-u needs at least one URL");
    natsOptions *options;
    nats_check(natsOptions_Create(&options), "options");
    nats_check(natsOptions_SetServers(options, servers, count), "servers");
    nats_check(natsOptions_SetIOBufSize(options, 1 << 20), "buffer size");
    nats_check(natsConnection_Connect(nc, options), "connect");
    natsOptions_Destroy(options);
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 10000;
    nats_check(natsConnection_JetStream(js, *nc, &js_options), "JetStream context");
}

/* Waits up to `wait_ms` for STREAM to exist (the mirror creates it when it starts); returns its
 * first subject when `subject` is NULL. */
static const char *await_stream(jsCtx *js, const char *stream, const char *subject, uint64_t wait_ms) {
    uint64_t deadline = now_ns() + wait_ms * 1000000u;
    for (;;) {
        jsStreamInfo *info = NULL;
        jsErrCode error = 0;
        natsStatus status = js_GetStreamInfo(&info, js, stream, NULL, &error);
        if (status == NATS_OK) {
            if (!subject) {
                if (!info->Config || info->Config->SubjectsLen < 1) die("stream %s has no subject", stream);
                subject = strdup(info->Config->Subjects[0]);
            }
            jsStreamInfo_Destroy(info);
            return subject;
        }
        if (status != NATS_NOT_FOUND && error != JSStreamNotFoundErr && status != NATS_TIMEOUT && status != NATS_NO_RESPONDERS) {
            die("stream %s: %s", stream, natsStatus_GetText(status));
        }
        if (stop_requested || now_ns() > deadline) die("stream %s did not appear within %llu ms", stream, (unsigned long long)wait_ms);
        usleep(50000);
    }
}

typedef struct {
    uint64_t records, bytes, expected, gaps, missing, backwards, bad_headers, first_offset, last_offset;
    uint64_t first_arrival, last_arrival; /* CLOCK_MONOTONIC */
} tally;

/* Counts one message: its lag and where its offset falls against the one expected. */
static void count_message(tally *t, latencies *lags, natsMsg *message, uint64_t arrived, uint64_t arrived_real) {
    uint64_t offset, stamped;
    if (!header_number(message, "Immuta-Offset", &offset) || !header_number(message, "Immuta-Timestamp", &stamped)) {
        t->bad_headers++;
        return;
    }
    if (t->records == 0) {
        t->first_offset = offset;
        t->first_arrival = arrived;
    } else if (offset > t->expected) {
        t->gaps++;
        t->missing += offset - t->expected;
    } else if (offset < t->expected) {
        t->backwards++;
    }
    if (t->records == 0 || offset >= t->expected) t->expected = offset + 1;
    t->records++;
    t->bytes += (uint64_t)natsMsg_GetDataLength(message);
    t->last_offset = offset;
    t->last_arrival = arrived;
    latencies_add(lags, arrived_real > stamped ? arrived_real - stamped : 0);
}

static void print_report(const tally *t, latencies *lags) {
    double seconds = (double)(t->last_arrival - t->first_arrival) / 1e9;
    /* records - 1 intervals between the first arrival and the last */
    double rate = t->records > 1 && seconds > 0 ? (double)(t->records - 1) / seconds : 0;
    qsort(lags->values, lags->count, sizeof(uint64_t), compare_u64);
    printf("{\"benchmark\":\"nats_mirror_lag\",\"records\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
           "\"records_per_sec\":%.3f,\"mb_per_sec\":%.6f",
           (unsigned long long)t->records, (unsigned long long)t->bytes, seconds, rate,
           t->records > 1 && seconds > 0 ? (double)t->bytes / 1e6 / seconds : 0);
    printf(",\"first_offset\":%llu,\"last_offset\":%llu,\"order_errors\":%llu,\"gaps\":%llu,\"missing\":%llu,"
           "\"backwards\":%llu,\"bad_headers\":%llu",
           (unsigned long long)t->first_offset, (unsigned long long)t->last_offset,
           (unsigned long long)(t->gaps + t->backwards), (unsigned long long)t->gaps, (unsigned long long)t->missing,
           (unsigned long long)t->backwards, (unsigned long long)t->bad_headers);
    printf(",\"lag_p50_ms\":%.3f,\"lag_p90_ms\":%.3f,\"lag_p99_ms\":%.3f,\"lag_p999_ms\":%.3f,\"lag_max_ms\":%.3f",
           percentile_us(lags, 50) / 1000, percentile_us(lags, 90) / 1000, percentile_us(lags, 99) / 1000,
           percentile_us(lags, 99.9) / 1000, percentile_us(lags, 100) / 1000);
    static const double points[] = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100};
    printf(",\"percentiles_us\":[");
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++)
        printf("%s[%g,%.3f]", i ? "," : "", points[i], percentile_us(lags, points[i]));
    printf("]}\n");
    fflush(stdout);
}

int main(int argc, char **argv) {
    char *urls = NULL;
    const char *stream = NULL, *subject = NULL, *ready_file = NULL;
    uint64_t records = 0, idle_ms = 10000, first_ms = 60000;
    bool from_start = false;
    int option;
    while ((option = getopt(argc, argv, "u:S:s:n:ai:f:r:")) != -1) {
        switch (option) {
        case 'u': urls = optarg; break;
        case 'S': stream = optarg; break;
        case 's': subject = optarg; break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'a': from_start = true; break;
        case 'i': idle_ms = (uint64_t)number_option("-i", optarg); break;
        case 'f': first_ms = (uint64_t)number_option("-f", optarg); break;
        case 'r': ready_file = optarg; break;
        default:
            die("usage: nats_mirror_lag -u URL[,URL...] -S STREAM [-s SUBJECT] [-n RECORDS] [-a] [-i IDLE_MS] "
                "[-f FIRST_MS] [-r READY_FILE]");
        }
    }
    if (!urls || !stream) die("-u and -S are required");
    if (!idle_ms || !first_ms) die("-i and -f want at least 1 ms");
    struct sigaction action = {.sa_handler = request_stop};
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    natsConnection *nc;
    jsCtx *js;
    connect_servers(urls, &nc, &js);
    uint64_t started = now_ns();
    subject = await_stream(js, stream, subject, first_ms);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream;
    options.Ordered = true;
    options.Config.DeliverPolicy = from_start ? js_DeliverAll : js_DeliverNew;
    natsSubscription *sub = NULL;
    jsErrCode error = 0;
    nats_check(js_SubscribeSync(&sub, js, subject, NULL, &options, &error), "subscribe");
    /* A flat-out mirror can push faster than this loop reads for a while: buffer, never drop. */
    nats_check(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
    if (ready_file) {
        FILE *ready = fopen(ready_file, "w");
        if (!ready || fclose(ready) != 0) die("cannot create %s: %s", ready_file, strerror(errno));
    }

    tally t = {0};
    latencies lags;
    latencies_init(&lags, records && records < 10000000 ? records : 1 << 20);
    uint64_t last_seen = started;
    while (!stop_requested && (!records || t.records < records)) {
        natsMsg *message = NULL;
        /* Short waits, so that a signal or the idle time ends the run promptly. */
        natsStatus status = natsSubscription_NextMsg(&message, sub, 100);
        uint64_t arrived = now_ns();
        if (status == NATS_TIMEOUT) {
            uint64_t limit = t.records ? idle_ms : first_ms;
            if (arrived - last_seen > limit * 1000000u) break;
            continue;
        }
        nats_check(status, "next message");
        count_message(&t, &lags, message, arrived, realtime_ns());
        last_seen = arrived;
        natsMsg_Destroy(message);
    }
    print_report(&t, &lags);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    bool complete = (!records || t.records >= records) && t.records > 0;
    return complete && t.gaps + t.backwards + t.bad_headers == 0 ? 0 : 2;
}
