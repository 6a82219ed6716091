/* Deletes NATS JetStream streams between the workloads of scripts/bench-compare.sh, so that each
 * starts from an empty store (as an Immuta bench run starts from a new topic).
 *
 *   nats_admin URL STREAM...    deletes each stream that exists */
#include "nats_common.h"

int main(int argc, char **argv) {
    if (argc < 3) die("usage: nats_admin URL STREAM...");
    natsConnection *nc;
    jsCtx *js;
    nats_connect(argv[1], 0, false, &nc, &js);
    for (int i = 2; i < argc; i++) {
        jsErrCode error = 0;
        natsStatus status = js_DeleteStream(js, argv[i], NULL, &error);
        if (status != NATS_OK && status != NATS_NOT_FOUND && error != JSStreamNotFoundErr) {
            die("delete stream %s: %s", argv[i], natsStatus_GetText(status));
        }
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}
