#!/usr/bin/python3
"""Writes the seed corpora corpus/binlog_event/ and corpus/gtid/ from the real binlog files
and captured dump streams in ../shared/testdata/binlog (next to the repository; run from
anywhere; rewrites the seed files). Input formats: see the headers of fuzz_binlog_event.cpp
and fuzz_gtid.cpp."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "testdata", "binlog"))

CRC, SEMI_SYNC, DECOMPRESS, FILE, PACKETS = 1, 2, 4, 8, 16
MAX_SEED = 8192


def read(path):
    with open(os.path.join(TESTDATA, path), "rb") as f:
        return f.read()


def events(path):
    """The events of a binlog file, walked by event_size."""
    data = read(path)
    pos = 4
    while pos + 19 <= len(data):
        size = struct.unpack_from("<I", data, pos + 9)[0]
        if size < 19 or pos + size > len(data):
            return
        yield data[pos:pos + size]
        pos += size


def packets(path):
    """The packet payloads of a stream capture: records of u32le length + payload."""
    data = read(path)
    pos = 0
    while pos + 4 <= len(data):
        n = struct.unpack_from("<I", data, pos)[0]
        yield data[pos + 4:pos + 4 + n]
        pos += 4 + n


def records(flags, items):
    out = bytes([flags])
    for item in items:
        record = struct.pack("<H", len(item)) + item
        if len(out) + len(record) > MAX_SEED:
            break
        out += record
    return out


def previous_gtids_body(path):
    """The body of a file's PREVIOUS_GTIDS event (type 35), header and CRC removed."""
    for e in events(path):
        if e[4] == 35:
            return e[19:-4]
    raise SystemExit("no PREVIOUS_GTIDS in " + path)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    if not os.path.isdir(TESTDATA):
        raise SystemExit("binlog test vectors not found at " + TESTDATA)
    event_seeds = {
        "mysql_gtid_5_6": (0, "mysql/binlog_transaction_with_GTID.000001"),
        "mysql_tagged": (0, "mysql/binlog_transaction_with_GTID_TAG.000001"),
        "mysql_payload": (DECOMPRESS, "mysql/transaction_compression.000001"),
        "mysql_payload_lenenc": (DECOMPRESS, "mysql/mysql-bin.compressed"),
        "mysql_checksum_none": (0, "mysql/mysql-bin.checksum-none"),
        "mysql_aurora_padding": (0, "mysql/mysql-bin.aurora-padding"),
        "mariadb_seq_commit_id": (0, "mariadb/master-bin-seq_10.3.36.000001"),
        "mariadb_xa": (0, "mariadb/generated-10.11.19/mariadb-bin.000001"),
        "mariadb_compressed": (0, "mariadb/generated-10.11.19/mariadb-bin.000002"),
    }
    for name, (flags, path) in event_seeds.items():
        write("binlog_event", name, records(flags, events(path)))
    stream_seeds = {
        "stream_nonblock": (CRC | PACKETS, "stream-nonblock-file.bin"),
        "stream_heartbeats": (CRC | PACKETS, "stream-gtid-hb.bin"),
        "stream_midfile": (CRC | PACKETS, "stream-gtid-midfile.bin"),
        "stream_semisync": (CRC | PACKETS | SEMI_SYNC, "stream-gtid-semisync.bin"),
        "stream_err": (CRC | PACKETS, "stream-gtid-future.bin"),
    }
    for name, (flags, path) in stream_seeds.items():
        write("binlog_event", name, records(flags, packets("mariadb/generated-10.11.19/" + path)))
    for name, path in {
        "file_mysql": "mysql/binlog_transaction_with_GTID.000001",
        "file_truncated": "mysql/binlog_truncated_prev_gtid_event.000001",
        "file_bad_crc": "mariadb/mdev-39404-binlog.000001",
        "file_mariadb": "mariadb/mariadb-bin.000001",
    }.items():
        write("binlog_event", name, bytes([FILE | DECOMPRESS]) + read(path))

    texts = {
        "mysql_set": "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:3",
        "mysql_tagged_set": "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2",
        "mysql_gtid": "006c2cf2-b1ea-11e4-9057-8c705a3d3e78:3",
        "mysql_tagged_gtid": "55778904-0299-11f1-b1b8-4ef0c4956feb:MyTag:3",
        "mariadb_position": "0-99-1001,0-11-1006,2-11-1",
        "mariadb_gtid": "0-11-1019",
        "empty": "",
    }
    for name, text in texts.items():
        write("gtid", name, text.encode())
    for name, path in {
        "binary_untagged": "mysql/transaction_compression.000001",
        "binary_two_intervals": "mysql/binlog_transaction_previous_GTID_no_tag.000001",
        "binary_tagged": "mysql/binlog_transaction_with_GTID_TAG.000001",
    }.items():
        write("gtid", name, previous_gtids_body(path))


if __name__ == "__main__":
    main()
