/* What the NATS peer clients share: connecting with a JetStream context, and the file-backed
 * stream each workload uses (one subject, named like the stream).
 *
 * libnats runs threads of its own per connection, so a client that forks (nats_e2e) must do so
 * before its first NATS call. */
#ifndef BENCH_PEERS_NATS_COMMON_H
#define BENCH_PEERS_NATS_COMMON_H

#include "common.h"

#include <nats/nats.h>

static inline void nats_check(natsStatus status, const char *what) {
    if (status != NATS_OK) die("%s: %s (%s)", what, natsStatus_GetText(status), nats_GetLastError(NULL));
}

/* An asynchronous publish the server refused, or whose acknowledgement never came, ends the run:
 * a figure that counts lost messages would be wrong. */
static void nats_publish_failed(jsCtx *js, jsPubAckErr *failure, void *closure) {
    (void)js, (void)closure;
    die("asynchronous publish failed: %s", failure->ErrText ? failure->ErrText : natsStatus_GetText(failure->Err));
}

/* Connects to URL with a JetStream context whose asynchronous publishes keep at most `window`
 * unacknowledged (0: the library's default). Waits up to 10 s for JetStream API answers.
 * `send_asap`: write each publish to the socket at once, instead of leaving it to the library's
 * flusher thread to coalesce (which costs a thread wake-up per message): for latency runs. */
static inline void nats_connect(const char *url, int64_t window, bool send_asap, natsConnection **nc, jsCtx **js) {
    natsOptions *options;
    nats_check(natsOptions_Create(&options), "options");
    nats_check(natsOptions_SetURL(options, url), "URL");
    /* Larger socket buffers than the 32 KiB default, as Redis and Immuta clients read big replies. */
    nats_check(natsOptions_SetIOBufSize(options, 1 << 20), "buffer size");
    nats_check(natsOptions_SetSendAsap(options, send_asap), "send asap");
    nats_check(natsConnection_Connect(nc, options), "connect");
    natsOptions_Destroy(options);
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 10000;
    if (window) js_options.PublishAsync.MaxPending = window;
    js_options.PublishAsync.ErrHandler = nats_publish_failed;
    js_options.PublishAsync.StallWait = 30000; /* a full window waits for room, never fails the run */
    nats_check(natsConnection_JetStream(js, *nc, &js_options), "JetStream context");
}

/* Creates the stream `name` (subject `name`, file storage, no limits, `replicas` copies) unless
 * it exists. */
static inline void nats_ensure_stream_replicas(jsCtx *js, const char *name, int replicas) {
    jsStreamInfo *info = NULL;
    jsErrCode error = 0;
    if (js_GetStreamInfo(&info, js, name, NULL, &error) == NATS_OK) {
        jsStreamInfo_Destroy(info);
        return;
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char *subjects[] = {name};
    config.Name = name;
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = replicas;
    nats_check(js_AddStream(&info, js, &config, NULL, &error), "add stream");
    jsStreamInfo_Destroy(info);
}

static inline void nats_ensure_stream(jsCtx *js, const char *name) { nats_ensure_stream_replicas(js, name, 1); }

#endif
