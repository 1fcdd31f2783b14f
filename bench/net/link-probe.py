#!/usr/bin/env python3
"""Measures the raw link between the first two namespaces of a
bench/net/shaped-link.sh run, without MPI: TCP throughput one way and both
ways at once, the idle round trip of a 1-byte TCP message, and, with UDP
sent faster than the link takes it, the rate that arrives and how long a
datagram spends in the full queue (one way, on the machine's one clock):
the shaper's `latency` plus its burst at the rate bounds that wait.

usage (inside shaped-link.sh):  link-probe.py [--seconds S] [--tests T,...]

Reads BRAID_NET_NAMESPACES and BRAID_NET_ADDRESSES; each side runs as this
script again under `ip netns exec` (the modes other than the default).
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

PORT_BULK, PORT_ECHO, PORT_UDP = 5601, 5602, 5603
DATAGRAM = 1400  # fits one 1500-byte frame
CHUNK = 1 << 20


def serve(address, port, kind, count):
    """Accepts `count` connections; bulk: prints MB/s received per
    connection (first to last byte); echo: echoes until closed."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(count)
    print("ready", flush=True)

    def bulk(conn):
        total, start = 0, None
        while True:
            data = conn.recv(CHUNK)
            if not data:
                break
            if start is None:
                start = time.perf_counter()
            total += len(data)
        print("%.2f" % (total / (time.perf_counter() - start) / 1e6), flush=True)

    def echo(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(1)
            if not data:
                break
            conn.sendall(data)

    threads = []
    for _ in range(count):
        conn, _ = listener.accept()
        thread = threading.Thread(target=bulk if kind == "bulk" else echo,
                                  args=(conn,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


def send(address, seconds):
    """Streams to address:PORT_BULK for `seconds`."""
    conn = socket.create_connection((address, PORT_BULK))
    buffer = b"\0" * CHUNK
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.sendall(buffer)
    conn.close()


def udp_receive(address, seconds):
    """Receives datagrams stamped with their send time for `seconds`; over
    the second half (the queue full by then) prints the MB/s that arrived
    and the one-way delay's median, 90th percentile and maximum in ms."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind((address, PORT_UDP))
    receiver.settimeout(1.0)
    print("ready", flush=True)
    start = time.perf_counter()
    steady = start + seconds / 2
    delays, received = [], 0
    while time.perf_counter() < start + seconds:
        try:
            data = receiver.recv(65536)
        except socket.timeout:
            continue
        now = time.perf_counter_ns()
        if now / 1e9 < steady:
            continue
        received += len(data)
        delays.append((now - int.from_bytes(data[:8], "little")) / 1e6)
    delays.sort()
    if not delays:
        print("no datagrams arrived")
        return
    print("%.2f MB/s arrived, one-way delay median %.2f ms   p90 %.2f ms   "
          "max %.2f ms" % (received / (start + seconds - steady) / 1e6,
                           statistics.median(delays),
                           delays[len(delays) * 9 // 10], delays[-1]))


def udp_send(address, seconds):
    """Sends stamped datagrams as fast as this process can for `seconds`.
    A socket buffer larger than the shaper's queue (SO_SNDBUFFORCE, root)
    makes the queue, not the buffer, hold the backlog."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.setsockopt(socket.SOL_SOCKET, 32, 64 << 20)  # SO_SNDBUFFORCE
    except OSError:
        pass
    sender.connect((address, PORT_UDP))
    padding = b"\0" * (DATAGRAM - 8)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            sender.send(time.perf_counter_ns().to_bytes(8, "little") + padding)
        except OSError:  # ENOBUFS: the queue dropped it
            pass


def tbf_parameter(name, units):
    """The tbf parameter `name` of BRAID_NET_TBF as a number, its suffix
    scaled by `units` ((suffix, factor) pairs, longer suffixes first); 0
    where it is missing or its suffix unknown."""
    words = os.environ.get("BRAID_NET_TBF", "").split()
    if name not in words[:-1]:
        return 0
    text = words[words.index(name) + 1].lower()
    for unit, scale in units:
        if text.endswith(unit):
            try:
                return float(text[:len(text) - len(unit)]) * scale
            except ValueError:
                return 0
    return 0


def in_namespace(namespace, *args):
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, __file__, *args],
        stdout=subprocess.PIPE, text=True)


def start_server(namespace, address, port, kind, count):
    server = in_namespace(namespace, "serve", address, str(port), kind,
                          str(count))
    if server.stdout.readline().strip() != "ready":
        sys.exit("link-probe: the server in %s did not start" % namespace)
    return server


def bulk_rates(server):
    return [float(line) for line in server.stdout.read().split()]


def round_trips(address, count, pause=0.0):
    """Median, 90th percentile and maximum of `count` 1-byte round trips,
    in us."""
    conn = socket.create_connection((address, PORT_ECHO))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        conn.sendall(b"x")
        conn.recv(1)
        samples.append((time.perf_counter() - start) * 1e6)
        time.sleep(pause)
    conn.close()
    samples.sort()
    return (statistics.median(samples), samples[len(samples) * 9 // 10],
            samples[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "send":
        send(sys.argv[2], float(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "udp-receive":
        udp_receive(sys.argv[2], float(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "udp-send":
        udp_send(sys.argv[2], float(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "rtt":
        print("median %8.1f us   p90 %8.1f us   max %8.1f us" %
              round_trips(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--tests", default=",".join(TESTS),
                        help="comma-separated, of: " + ", ".join(TESTS))
    options = parser.parse_args()
    tests = options.tests.split(",")
    unknown = [test for test in tests if test not in TESTS]
    if unknown:
        parser.error("unknown test %s (known: %s)" %
                     (unknown[0], ", ".join(TESTS)))
    namespaces = os.environ.get("BRAID_NET_NAMESPACES", "").split()
    addresses = os.environ.get("BRAID_NET_ADDRESSES", "").split()
    if len(namespaces) < 2:
        sys.exit("link-probe: needs two namespaces (BRAID_NET_NAMESPACES; "
                 "run it inside bench/net/shaped-link.sh, not over loopback)")
    link = (namespaces[0], namespaces[1], addresses[0], addresses[1],
            str(options.seconds))
    for test in tests:
        TESTS[test](*link)


def one_way(ns0, ns1, a0, a1, seconds):
    server = start_server(ns1, a1, PORT_BULK, "bulk", 1)
    in_namespace(ns0, "send", a1, seconds).wait()
    print("tcp one way %s -> %s: %.2f MB/s" % (a0, a1, bulk_rates(server)[0]))


def both_ways(ns0, ns1, a0, a1, seconds):
    servers = [start_server(ns1, a1, PORT_BULK, "bulk", 1),
               start_server(ns0, a0, PORT_BULK, "bulk", 1)]
    senders = [in_namespace(ns0, "send", a1, seconds),
               in_namespace(ns1, "send", a0, seconds)]
    for sender in senders:
        sender.wait()
    rates = [bulk_rates(s)[0] for s in servers]
    print("tcp both ways at once: %.2f and %.2f MB/s" % tuple(rates))


def round_trip(ns0, ns1, a0, a1, seconds):
    """1-byte round trips from ns0 to an echo in ns1."""
    echo = start_server(ns1, a1, PORT_ECHO, "echo", 1)
    idle = subprocess.run(
        ["ip", "netns", "exec", ns0, sys.executable, __file__, "rtt", a1,
         "1000", "0.0005"], capture_output=True, text=True, check=True)
    echo.wait()
    print("tcp 1-byte round trip, idle: %s" % idle.stdout.strip())


def queueing(ns0, ns1, a0, a1, seconds):
    receiver = in_namespace(ns1, "udp-receive", a1, seconds)
    if receiver.stdout.readline().strip() != "ready":
        sys.exit("link-probe: the UDP receiver in %s did not start" % ns1)
    in_namespace(ns0, "udp-send", a1, seconds).wait()
    result = receiver.stdout.read().strip()
    print("udp sent as fast as one process can: %s" % result)
    # A standing queue shows as a median wait near the shaper's latency;
    # where one Python process cannot outrun the link none forms.
    latency_ms = tbf_parameter("latency", (("usec", 1e-3), ("us", 1e-3),
                                           ("msec", 1), ("ms", 1),
                                           ("sec", 1e3), ("s", 1e3)))
    words = result.split()
    median_ms = float(words[words.index("median") + 1]) \
        if "median" in words else 0
    if latency_ms and median_ms < latency_ms / 2:
        print("  (no standing queue: the sender, one Python process, did not"
              " outrun the link; the wait above is not the bound)")


TESTS = {"one-way": one_way, "both-ways": both_ways,
         "round-trip": round_trip, "queueing": queueing}


if __name__ == "__main__":
    main()
