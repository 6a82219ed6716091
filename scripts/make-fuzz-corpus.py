#!/usr/bin/env python3
"""Writes the seed corpus of the decoder fuzzer (Tests/FuzzCorpus/decoder/).

One small file per message layout of docs/PROTOCOL.md, so libFuzzer starts from bytes that
already get past the frame splitter and into every body parser, plus truncated and malformed
frames and a multi-frame session. Rerun after a protocol change:

    scripts/make-fuzz-corpus.py [OUTPUT_DIRECTORY]
"""
import os
import struct
import sys


def crc32c(data: bytes) -> int:
    # Bitwise CRC-32C as in PROTOCOL.md section 11.5: slow, but the corpus is tiny.
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def i64(v): return struct.pack("<q", v)


def string(s) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return u16(len(b)) + b


def frame(opcode: int, body: bytes, request_id: int = 1) -> bytes:
    return u32(8 + len(body)) + u8(opcode) + u8(0) + u16(0) + u32(request_id) + body


def start(kind: int, value: int = 0) -> bytes:
    return u8(kind) + u64(value)


def topic_config(durability="fsync") -> bytes:
    return u64(1 << 20) + u64(1 << 20) + u64(0) + i64(86_400_000) + string(durability)


def group_settings() -> bytes:
    return u32(100) + u32(30_000) + u16(5) + string("orders.dlq")


def seed_records(*payloads) -> bytes:
    return b"".join(u64(len(p)) + p for p in payloads)


def records_body(first_offset: int, *payloads) -> bytes:
    """A RECORDS/DELIVERY body with valid index entries and checksums (section 11)."""
    index, data, position = b"", b"", 4096
    for n, p in enumerate(payloads):
        flags = 1 if n == len(payloads) - 1 else 0
        entry = u64(position) + i64(1_700_000_000_000_000_000) + u32(len(p)) + u32(crc32c(p) if p else 0) + u32(flags)
        index += entry + u32(crc32c(entry))
        data += u64(len(p)) + p
        position += 8 + len(p)
    header = u64(first_offset) + u32(len(payloads)) + u64(first_offset + len(payloads))
    return header + index + data


def mirror_entry(kind: int = 0) -> bytes:
    """One entry of MIRROR_LIST_RESULT (section 8.6): a mirror (0) or a source (1)."""
    texts = ["central", "orders", "IMMUTA_web-1_orders", "immuta.web-1.orders", "running"]
    figures = u64(1000) + u64(1002) + u64(2) + i64(35) + u64(250_000) + u64(1000) + u64(0) + u64(0)
    return u8(kind) + b"".join(string(t) for t in texts) + figures + string("") + i64(0)


HELLO = frame(0x01, u16(1) + u16(1) + string("demo"))

REQUESTS = {
    "hello": HELLO,
    "hello-bad-version": frame(0x01, u16(2) + u16(9) + string("future")),
    "ping": frame(0x02, b""),
    "stats": frame(0x03, b""),
    "create-topic": frame(0x10, string("orders") + topic_config()),
    "delete-topic": frame(0x11, string("orders")),
    "list-topics": frame(0x12, b""),
    "describe-topic": frame(0x13, string("orders")),
    "produce": frame(0x20, string("orders") + u8(1) + u32(2) + seed_records(b"hi", b"abc")),
    "fetch": frame(0x21, string("orders") + start(2, 0) + u32(100) + u32(1 << 20) + u32(500)),
    "subscribe": frame(0x22, string("orders") + start(1) + u32(1000) + u64(1 << 20)),
    "credit": frame(0x23, u32(9) + u32(1) + u64(11)),
    "unsubscribe": frame(0x24, u32(9)),
    "group-join": frame(0x40, string("orders") + string("workers") + start(0) + group_settings()),
    "group-ack": frame(0x41, u32(5) + u32(3) + u64(0) + u64(1) + u64(2)),
    "group-nack": frame(0x42, u32(5) + u32(1) + u64(7)),
    "group-leave": frame(0x43, u32(5)),
    "group-commit": frame(0x44, string("orders") + string("workers") + u64(42)),
    "group-offset": frame(0x45, string("orders") + string("workers") + start(0)),
    "group-list": frame(0x46, string("")),
    "group-describe": frame(0x47, string("orders") + string("workers")),
    "group-reset": frame(0x48, string("orders") + string("workers") + u8(4) + i64(-10) + u8(1) + u8(1)),
    "group-delete": frame(0x49, string("orders") + string("workers")),
    "mirror-list": frame(0x06, b""),
    "mirror-control": frame(0x07, string("central") + u8(0)),
}

RESPONSES = {
    "resp-hello-ok": frame(0x81, u16(1) + string("immutad 0.1.0") + u32(16_842_752) + u64(8 << 20)),
    "resp-error": frame(0xFF, u16(11) + string('topic "nope" does not exist'), 13),
    "resp-produced": frame(0xA0, u64(0) + u32(2) + i64(1_700_000_000_000_000_000)),
    "resp-records": frame(0xA1, records_body(0, b"hi", b"abc")),
    "resp-group-delivery": frame(0xA4, u16(2) + records_body(3, b"new")),
    "resp-stats": frame(0x83, u32(2) + string("connections") + i64(1) + string("topics") + i64(3)),
    "resp-mirror-list": frame(0x86, u32(2) + mirror_entry(0) + mirror_entry(1)),
}

MALFORMED = {
    "trunc-header": HELLO[:7],
    "trunc-body": REQUESTS["produce"][:-3],
    "trunc-string": frame(0x13, u16(40) + b"orders"),
    "length-below-8": u32(7) + b"\x02\x00\x00\x00\x01\x00\x00",
    "length-huge": u32(0xFFFFFFFF) + b"\x20\x00\x00\x00\x01\x00\x00\x00",
    "produce-count-mismatch": frame(0x20, string("orders") + u8(0) + u32(3) + seed_records(b"hi")),
    "produce-size-overflow": frame(0x20, string("orders") + u8(0) + u32(1) + u64(0xFFFFFFFFFFFFFFF0) + b"x"),
    "group-ack-count-huge": frame(0x41, u32(5) + u32(0xFFFFFFFF) + u64(1)),
    "invalid-utf8-name": frame(0x13, string(b"\xc0\xaf\xed\xa0\x80")),
    "unknown-opcode": frame(0x7E, b"\x00" * 4),
    "mirror-control-bad-action": frame(0x07, string("central") + u8(2)),
    "session": HELLO + REQUESTS["create-topic"] + REQUESTS["produce"] + REQUESTS["fetch"]
    + REQUESTS["subscribe"] + REQUESTS["credit"] + REQUESTS["unsubscribe"],
}


def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests", "FuzzCorpus", "decoder")
    os.makedirs(out, exist_ok=True)
    assert crc32c(b"123456789") == 0xE3069283 and crc32c(b"hi") == 0xF59DD9C2
    # Checked against the hex example of PROTOCOL.md section 8.1.
    assert HELLO.hex() == "12000000010000000100000001000100040064656d6f"
    # And against the MIRROR_LIST_RESULT example of section 8.6.
    assert frame(0x86, u32(1) + mirror_entry(0), 34).hex() == (
        "9b00000086000000220000000100000000070063656e7472616c06006f726465"
        "72731300494d4d5554415f7765622d315f6f72646572731300696d6d7574612e"
        "7765622d312e6f7264657273070072756e6e696e67e803000000000000ea0300"
        "00000000000200000000000000230000000000000090d0030000000000e80300"
        "00000000000000000000000000000000000000000000000000000000000000"
    )
    seeds = {**REQUESTS, **RESPONSES, **MALFORMED}
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {out}")


if __name__ == "__main__":
    main()
