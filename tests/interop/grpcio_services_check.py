#!/usr/bin/python3
"""An independent gRPC client (Debian's python3-grpcio) against the suite's running services.

Usage: /usr/bin/python3 grpcio_services_check.py [--watch RUN_ID:ITERATIONS] [--running RUN_ID] SERVICE=HOST:PORT ...

SERVICE is a full name (rlhf.v1.PolicyService, ...ReferenceService, ...CriticService, ...RewardService,
...OrchestratorService). For every service:
  health      grpc.health.v1.Health/Check for "" and for the service's name answers SERVING
  reflection  the reflection listing (grpc.reflection.v1 or v1alpha ServerReflectionInfo, list_services) names the
              service and grpc.health.v1.Health
  unknown     an unknown method of the service answers UNIMPLEMENTED
  unary       GetModelInfo names the service (model services); ListRuns answers, listing RUN_ID of --watch (orchestrator)
  error       an empty batch (Generate, ComputeLogProbs, ComputeValues, ScoreResponses) answers INVALID_ARGUMENT;
              GetRun of an unknown run answers NOT_FOUND; the status and message are reported for the caller to compare
  stream      StreamGenerate streams chunks and ends OK (policy); WatchRun of the finished --watch run replays its
              ITERATIONS iterations (orchestrator)
  deadline    a call that cannot finish in 50 ms, sent with a 50 ms deadline, answers DEADLINE_EXCEEDED (model
              services: a large batch; orchestrator: WatchRun of the --running run)
Messages are hand-encoded protobuf bytes (Debian has no grpc_reflection or grpc_health packages, and the check shares
no code or generated stubs with the suite). Prints one JSON object: {"checks": [{service, check, ok, detail}],
"errors": {service: {code, details}}}; exits 1 if a check failed.
"""
import json
import struct
import sys

import grpc

IDENTITY = dict(request_serializer=lambda b: b, response_deserializer=lambda b: b)


# --- protobuf wire format, by hand ---
def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def field_string(number, text):
    return field_bytes(number, text.encode())


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_float(number, value):
    return varint(number << 3 | 5) + struct.pack("<f", value)


def field_packed(number, values):
    return field_bytes(number, b"".join(varint(v) for v in values))


def fields(data):
    """Top-level fields of a message: a list of (number, value), value an int or bytes."""
    out, i = [], 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            length, i = read_varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        else:
            raise ValueError(f"wire type {wire}")
        out.append((number, value))
    return out


def read_varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def first(data, number, default=b""):
    return next((v for n, v in fields(data) if n == number), default)


# --- requests ---
def sampling(max_new_tokens, samples):
    # SamplingParams{temperature: 1, max_new_tokens, seed: 7, num_samples_per_prompt}
    return field_float(1, 1.0) + field_varint(4, max_new_tokens) + field_varint(6, 7) + field_varint(7, samples)


def generate_request(max_new_tokens, samples):
    prompt = field_packed(1, [1, 403, 407])  # Sequence{prompt_ids}
    return field_bytes(1, prompt) + field_bytes(2, sampling(max_new_tokens, samples))


def scored_batch(count, length):
    """`count` Sequences of `length` prompt ids and `length` response ids (field 1 of every batch request)."""
    ids = [1 + (i * 37) % 500 for i in range(length)]
    sequence = field_packed(1, ids) + field_packed(2, ids)
    return b"".join(field_bytes(1, sequence) for _ in range(count))


# The unary call, the empty-batch call (INVALID_ARGUMENT) and the slow call of each model service.
MODEL_CALLS = {
    "rlhf.v1.PolicyService": ("Generate", generate_request(500, 64)),
    "rlhf.v1.ReferenceService": ("ComputeLogProbs", scored_batch(32, 240)),
    "rlhf.v1.CriticService": ("ComputeValues", scored_batch(32, 240)),
    "rlhf.v1.RewardService": ("ScoreResponses", scored_batch(32, 240)),
}
ORCHESTRATOR = "rlhf.v1.OrchestratorService"


class Checker:
    def __init__(self):
        self.checks = []
        self.errors = {}

    def record(self, service, check, ok, detail):
        self.checks.append({"service": service, "check": check, "ok": bool(ok), "detail": detail})

    def expect_status(self, service, check, call, code):
        """Runs call(); passes when it fails with `code`. Returns the RpcError (or None)."""
        try:
            result = call()
            if hasattr(result, "__iter__") and not isinstance(result, bytes):
                list(result)
            self.record(service, check, False, f"answered OK, expected {code.name}")
        except grpc.RpcError as error:
            self.record(service, check, error.code() == code, f"{error.code().name}: {error.details()}")
            return error
        return None


def check_service(checker, name, address, watch, running):
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)

        health = channel.unary_unary("/grpc.health.v1.Health/Check", **IDENTITY)
        for service in ("", name):
            reply = health(field_string(1, service) if service else b"", timeout=10)
            status = first(reply, 1, 0)
            checker.record(name, f"health({service or '(server)'})", status == 1, f"status {status} (1 = SERVING)")

        listed, version = None, None
        for version in ("v1", "v1alpha"):
            reflection = channel.stream_stream(f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo", **IDENTITY)
            try:
                replies = list(reflection(iter([field_string(7, "")]), timeout=10))  # ServerReflectionRequest{list_services}
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                    continue
                raise
            listing = first(replies[0], 6)  # ServerReflectionResponse.list_services_response
            listed = sorted(first(s, 1).decode() for n, s in fields(listing) if n == 1)
            break
        checker.record(name, "reflection", listed is not None and name in listed and "grpc.health.v1.Health" in listed,
                       f"grpc.reflection.{version}: {listed}")

        checker.expect_status(name, "unknown", lambda: channel.unary_unary(f"/{name}/NoSuchMethod", **IDENTITY)(b"", timeout=10),
                              grpc.StatusCode.UNIMPLEMENTED)

        if name == ORCHESTRATOR:
            check_orchestrator(checker, channel, watch, running)
        else:
            check_model_service(checker, channel, name)


def check_model_service(checker, channel, name):
    info = channel.unary_unary(f"/{name}/GetModelInfo", **IDENTITY)(b"", timeout=30)
    service = first(info, 1).decode()
    checker.record(name, "unary", service == name, f"GetModelInfo.service = {service!r}")

    method, slow = MODEL_CALLS[name]
    call = channel.unary_unary(f"/{name}/{method}", **IDENTITY)
    error = checker.expect_status(name, "error", lambda: call(b"", timeout=30), grpc.StatusCode.INVALID_ARGUMENT)
    if error is not None:
        checker.errors[name] = {"method": method, "code": error.code().name, "details": error.details()}

    if name == "rlhf.v1.PolicyService":
        stream = channel.unary_stream(f"/{name}/StreamGenerate", **IDENTITY)
        chunks = list(stream(generate_request(8, 1), timeout=60))
        with_tokens = sum(1 for c in chunks if first(c, 2))  # GenerateChunk.token_ids
        checker.record(name, "stream", with_tokens > 0, f"StreamGenerate: {len(chunks)} chunks ({with_tokens} with tokens), ended OK")

    checker.expect_status(name, "deadline", lambda: call(slow, timeout=0.05), grpc.StatusCode.DEADLINE_EXCEEDED)


def check_orchestrator(checker, channel, watch, running):
    name = ORCHESTRATOR
    runs = channel.unary_unary(f"/{name}/ListRuns", **IDENTITY)(b"", timeout=10)
    ids = [first(run, 1).decode() for n, run in fields(runs) if n == 1]
    watched = watch[0] if watch else None
    checker.record(name, "unary", watched is None or watched in ids, f"ListRuns: {ids}")

    get_run = channel.unary_unary(f"/{name}/GetRun", **IDENTITY)
    error = checker.expect_status(name, "error", lambda: get_run(field_string(1, "no-such-run"), timeout=10), grpc.StatusCode.NOT_FOUND)
    if error is not None:
        checker.errors[name] = {"method": "GetRun", "code": error.code().name, "details": error.details()}

    watch_run = channel.unary_stream(f"/{name}/WatchRun", **IDENTITY)
    if watch:
        run_id, iterations = watch
        streamed = [first(m, 1, 0) for m in watch_run(field_string(1, run_id), timeout=60)]  # IterationMetrics.iteration
        checker.record(name, "stream", streamed == list(range(1, iterations + 1)), f"WatchRun({run_id}): iterations {streamed}")
    if running:
        checker.expect_status(name, "deadline", lambda: watch_run(field_string(1, running), timeout=0.5), grpc.StatusCode.DEADLINE_EXCEEDED)


def main(argv):
    watch, running, targets = None, None, []
    args = iter(argv)
    for arg in args:
        if arg == "--watch":
            run_id, iterations = next(args).rsplit(":", 1)
            watch = (run_id, int(iterations))
        elif arg == "--running":
            running = next(args)
        else:
            name, address = arg.split("=", 1)
            targets.append((name, address))
    checker = Checker()
    for name, address in targets:
        try:
            check_service(checker, name, address, watch, running)
        except grpc.RpcError as error:
            checker.record(name, "unexpected", False, f"{error.code().name}: {error.details()}")
    print(json.dumps({"checks": checker.checks, "errors": checker.errors}, indent=1))
    return 0 if all(c["ok"] for c in checker.checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
