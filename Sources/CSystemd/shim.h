// The part of libsystemd that Immuta calls: sd-daemon (notify, socket activation, watchdog) and
// sd-journal's native-protocol writer. Only non-variadic functions are used from Swift: sd_notifyf and
// sd_journal_send cannot be imported, so Swift formats the strings and builds the iovecs itself.
#ifndef IMMUTA_CSYSTEMD_SHIM_H
#define IMMUTA_CSYSTEMD_SHIM_H

#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#endif
