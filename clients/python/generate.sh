#!/usr/bin/env bash
# Regenerates the committed protobuf/gRPC stubs of rlhf_client from protos/ (run from anywhere; commit the result).
#
# Both the messages (*_pb2.py) and the service stubs (*_pb2_grpc.py) come from Debian 12's python3-grpc-tools
# (/usr/bin/python3 -m grpc_tools.protoc), so they match Debian's python3-protobuf / python3-grpcio runtime: code from a
# newer protoc (such as the one inside Grpc.Tools) carries a runtime version check that Debian's protobuf fails. The
# result depends only on that Debian package, not on what happens to be in the NuGet cache.
#
# That compiler is protoc 3.5, which predates proto3 `optional`, so it reads a copy of the protos with `optional`
# removed. The wire format is unchanged; only the presence of SamplingParams.temperature/top_p is lost in Python, and
# the reward client does not send SamplingParams. Imports are rewritten so the stubs live inside the package
# (rlhf_client._pb).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${RLHF_PB_OUT:-$here/rlhf_client/_pb}"  # RLHF_PB_OUT: elsewhere (the freshness test)
protos=(rlhf/v1/common.proto rlhf/v1/reward_service.proto)

if ! /usr/bin/python3 -c "import grpc_tools.protoc" 2>/dev/null; then
  echo "generate.sh: needs Debian's python3-grpc-tools (apt-get install python3-grpc-tools)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gen" "$tmp/stripped/rlhf/v1"
for proto in "${protos[@]}"; do
  sed -E 's/^([[:space:]]*)optional /\1/' "$repo/protos/$proto" > "$tmp/stripped/$proto"
done
(cd "$tmp/stripped" && /usr/bin/python3 -m grpc_tools.protoc -I. --python_out="$tmp/gen" "${protos[@]}")
(cd "$tmp/stripped" && /usr/bin/python3 -m grpc_tools.protoc -I. --grpc_python_out="$tmp/gen" rlhf/v1/reward_service.proto)

rm -rf "$out"
mkdir -p "$out"
for file in "$tmp"/gen/rlhf/v1/*.py; do
  sed -E -e 's/^from rlhf\.v1 import /from rlhf_client._pb import /' \
         -e "s/'rlhf\.v1\.([a-z_]+_pb2)'/'rlhf_client._pb.\1'/" "$file" > "$out/$(basename "$file")"
done
printf '"""Generated protobuf and gRPC stubs of rlhf.v1 (clients/python/generate.sh). Do not edit."""\n' > "$out/__init__.py"
echo "generate.sh: wrote $(ls "$out" | wc -l) files to $out"
