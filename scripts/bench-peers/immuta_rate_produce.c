/* Produces into one Immuta topic at a steady rate for scripts/bench-mirror.sh, cheaply:
 *
 *   immuta_rate_produce -s SOCKET -t TOPIC -r RATE -n RECORDS [-d SIZE] [-k TICK_US]
 *
 * Every TICK_US microseconds (default 1000) it wakes and produces, in one PRODUCE with ack write,
 * the records that fell due since the last tick (RATE × elapsed time), and waits for the answer.
 * At 10,000 records/s that is a batch of 10 every millisecond. `immutactl bench e2e` keeps a rate
 * too, but sends one record per request and spins between them, which takes a whole core of a
 * small machine away from the daemon, the mirror and the NATS servers under test. The records of a
 * batch share one append time (PROTOCOL.md 10.1), and a mirror's lag is measured from that time,
 * so batching by tick costs the lag figures nothing. A daemon that answers late makes the next
 * batch larger: the rate is kept over the run, not per tick.
 *
 * Prints one JSON object: the records, the seconds from the first send to the last answer, the
 * rate achieved, the number of batches and the largest one. */
#include "immuta_wire.h"

#define MAX_BATCH 65536u /* records of one PRODUCE; more, and the rest waits for the next tick */

/* Sleeps until `deadline` (CLOCK_MONOTONIC ns) without spinning. */
static void sleep_until(uint64_t deadline) {
    struct timespec t = {.tv_sec = (time_t)(deadline / 1000000000u), .tv_nsec = (long)(deadline % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
    }
}

/* The records field of a PRODUCE of up to MAX_BATCH records of `size` bytes, built once: a batch
 * of n records is its first n × (8 + size) bytes. */
static unsigned char *make_records(uint64_t size) {
    unsigned char *records = checked_malloc(MAX_BATCH * (8 + size));
    char *payload = make_payload(size);
    for (uint64_t i = 0; i < MAX_BATCH; i++) {
        memcpy(records + i * (8 + size), &size, 8);
        memcpy(records + i * (8 + size) + 8, payload, size);
    }
    free(payload);
    return records;
}

/* Produces `count` records with ack write and waits for PRODUCED; any ERROR ends the run. */
static void produce(int fd, const char *topic, uint32_t request, const unsigned char *records, uint32_t count, uint64_t size) {
    frame head;
    begin(&head, 0x20, request); /* PRODUCE */
    put_string(&head, topic);
    put_u8(&head, 0); /* ack write */
    put_u32(&head, count);
    uint64_t records_bytes = (uint64_t)count * (8 + size);
    uint32_t length = (uint32_t)(head.length - 4 + records_bytes);
    memcpy(head.bytes, &length, 4);
    if (send_all(fd, head.bytes, head.length) != 0 || send_all(fd, records, records_bytes) != 0) {
        die("the daemon closed the connection");
    }
    char error[512];
    int opcode = read_frame(fd, error, sizeof error);
    if (opcode == 0xFF) die("PRODUCE to %s refused: %s", topic, error);
    if (opcode != 0xA0) die("PRODUCE answered with opcode 0x%02x, not PRODUCED", opcode);
}

int main(int argc, char **argv) {
    const char *socket_path = NULL, *topic = NULL;
    uint64_t rate = 0, records = 0, size = 100, tick_us = 1000;
    int option;
    while ((option = getopt(argc, argv, "s:t:r:n:d:k:")) != -1) {
        switch (option) {
        case 's': socket_path = optarg; break;
        case 't': topic = optarg; break;
        case 'r': rate = (uint64_t)number_option("-r", optarg); break;
        case 'n': records = (uint64_t)number_option("-n", optarg); break;
        case 'd': size = (uint64_t)number_option("-d", optarg); break;
        case 'k': tick_us = (uint64_t)number_option("-k", optarg); break;
        default: die("usage: immuta_rate_produce -s SOCKET -t TOPIC -r RATE -n RECORDS [-d SIZE] [-k TICK_US]");
        }
    }
    if (!socket_path || !topic || !rate || !records) die("-s, -t, -r and -n are required; -r and -n at least 1");
    if (tick_us < 10 || tick_us > 1000000) die("-k wants 10 to 1000000 µs, got %llu", (unsigned long long)tick_us);
    if (size > (1u << 20)) die("-d wants at most 1 MiB, got %llu", (unsigned long long)size);
    if (strlen(topic) > 255) die("-t wants a topic name of at most 255 bytes");
    int fd = connect_hello(socket_path);
    if (fd < 0) die("cannot connect to immutad at %s", socket_path);
    unsigned char *batch_records = make_records(size);

    uint64_t sent = 0, batches = 0, largest = 0, tick = tick_us * 1000u;
    const uint64_t start = now_ns();
    for (uint64_t wake = start; sent < records; wake += tick) {
        sleep_until(wake);
        /* Records due by now: rate × elapsed, in 128-bit arithmetic for long runs at high rates. */
        unsigned __int128 due = (unsigned __int128)(now_ns() - start) * rate / 1000000000u + 1;
        if (due > records) due = records;
        while (sent < (uint64_t)due) {
            uint64_t count = (uint64_t)due - sent;
            if (count > MAX_BATCH) count = MAX_BATCH;
            produce(fd, topic, (uint32_t)(batches + 1), batch_records, (uint32_t)count, size);
            sent += count, batches++;
            if (count > largest) largest = count;
        }
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    printf("{\"benchmark\":\"immuta_rate_produce\",\"records\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
           "\"records_per_sec\":%.3f,\"rate\":%llu,\"batches\":%llu,\"largest_batch\":%llu}\n",
           (unsigned long long)sent, (unsigned long long)(sent * size), seconds, seconds > 0 ? (double)sent / seconds : 0,
           (unsigned long long)rate, (unsigned long long)batches, (unsigned long long)largest);
    close(fd);
    return 0;
}
