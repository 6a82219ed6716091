#ifndef IMMUTA_CNATS_SHIM_H
#define IMMUTA_CNATS_SHIM_H
// The NATS C client (Debian's libnats-dev): JetStream publish, streams and pull consumers, for
// mirroring topics into a NATS JetStream cluster and sourcing them back.
#include <nats/nats.h>
#endif
