#!/usr/bin/python3
"""The python3-grpcio side of the gRPC transport benchmark (GrpcBenchmark.cs runs it with /usr/bin/python3).

Compiles Protos/bench_echo.proto with grpc_tools.protoc into a temporary directory at start-up, then either

  bench_grpc.py server
      serves rlhf.bench.v1.BenchEcho on 127.0.0.1 (a free port; grpc.server with a 16-thread pool), prints
      "PORT <n>" and serves until stdin closes;

  bench_grpc.py client TARGET CALLERS WARMUP_S DURATION_S PAYLOAD_BYTES
      runs CALLERS threads that share one channel (grpc.insecure_channel), each making blocking unary Echo calls
      back to back for WARMUP_S + DURATION_S seconds, and prints one JSON line: the calls that started after the
      warm-up and ended within the measured window, calls per second over DURATION_S, and the p50/p99 latency in
      milliseconds (nearest rank, as Stats.Percentile computes it), and this process's CPU time over the window
      (cpu_s); it prints "MEASURE START" and "MEASURE END" when the window opens and closes, so that the caller can
      sample the server's CPU time over the same window.
"""
import concurrent.futures
import importlib
import json
import math
import os
import sys
import tempfile
import threading
import time


def load_stubs():
    from grpc_tools import protoc

    proto_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Protos")
    out_dir = tempfile.mkdtemp(prefix="bench_grpc_")
    rc = protoc.main([
        "grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
        os.path.join(proto_dir, "bench_echo.proto"),
    ])
    if rc != 0:
        raise SystemExit(f"grpc_tools.protoc failed with exit code {rc}")
    sys.path.insert(0, out_dir)
    return importlib.import_module("bench_echo_pb2"), importlib.import_module("bench_echo_pb2_grpc")


def payload(size):
    """The payload every side sends: bytes i mod 251 (the C# side builds the same)."""
    return bytes(i % 251 for i in range(size))


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list (q in (0, 1])."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def serve(pb2, pb2_grpc):
    import grpc

    class Echo(pb2_grpc.BenchEchoServicer):
        def Echo(self, request, context):
            return pb2.EchoReply(payload=request.payload)

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=16))
    pb2_grpc.add_BenchEchoServicer_to_server(Echo(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    server.stop(0)


def client(pb2, pb2_grpc, target, callers, warmup_s, duration_s, payload_bytes):
    import grpc

    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = pb2_grpc.BenchEchoStub(channel)
    request = pb2.EchoRequest(payload=payload(payload_bytes))
    stub.Echo(request)  # connection and first-call set-up outside the clock

    start = time.perf_counter()
    measure_from = start + warmup_s
    measure_to = measure_from + duration_s
    per_thread = [[] for _ in range(callers)]

    def worker(latencies):
        while True:
            t0 = time.perf_counter()
            if t0 >= measure_to:
                return
            stub.Echo(request)
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= measure_to:
                latencies.append(t1 - t0)

    cpu = {}

    def marker():
        # the measured window's edges, for the caller to sample the server's CPU time, and this process's CPU time
        for name, at in (("start", measure_from), ("end", measure_to)):
            time.sleep(max(0.0, at - time.perf_counter()))
            cpu[name] = time.process_time()
            print(f"MEASURE {name.upper()}", flush=True)

    threads = [threading.Thread(target=worker, args=(lat,)) for lat in per_thread] + [threading.Thread(target=marker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    channel.close()
    latencies = sorted(x for lat in per_thread for x in lat)
    print(json.dumps({
        "calls": len(latencies),
        "calls_per_s": len(latencies) / duration_s,
        "p50_ms": percentile(latencies, 0.50) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "cpu_s": cpu["end"] - cpu["start"],
    }), flush=True)


def main(argv):
    if len(argv) >= 2 and argv[1] == "server":
        serve(*load_stubs())
    elif len(argv) == 7 and argv[1] == "client":
        client(*load_stubs(), argv[2], int(argv[3]), float(argv[4]), float(argv[5]), int(argv[6]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
