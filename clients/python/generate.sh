#!/usr/bin/env bash
# Regenerates the committed protobuf/gRPC stubs of rlhf_client from protos/ (run from anywhere; commit the result).
#
# Messages (*_pb2.py): protoc 3.21 (the one the Grpc.Tools pinned in Directory.Packages.props ships, or $PROTOC),
# whose generated code matches Debian 12's python3-protobuf 3.21 / 4.21 runtime. Service stubs (*_pb2_grpc.py):
# Debian's python3-grpc-tools (/usr/bin/python3 -m grpc_tools.protoc). That compiler is protoc 3.5, which rejects
# proto3 `optional`, so it reads a copy of the protos with `optional` removed — the service stubs only name methods and
# message classes, which `optional` does not change. Imports are rewritten so the stubs live inside the package (rlhf_client._pb).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${RLHF_PB_OUT:-$here/rlhf_client/_pb}"  # RLHF_PB_OUT: elsewhere (the freshness test)
protos=(rlhf/v1/common.proto rlhf/v1/reward_service.proto)

protoc="${PROTOC:-}"
if [[ -z "$protoc" ]]; then
  # the Grpc.Tools version pinned in Directory.Packages.props, not the newest one in the NuGet cache: a newer protoc
  # writes different code (and needs a newer protobuf runtime than Debian's)
  version="$(sed -n -E 's/.*Include="Grpc\.Tools" Version="([^"]+)".*/\1/p' "$repo/Directory.Packages.props")"
  nuget="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  case "$(uname -m)" in aarch64 | arm64) arch=linux_arm64 ;; *) arch=linux_x64 ;; esac
  protoc="$nuget/grpc.tools/$version/tools/$arch/protoc"
fi
if [[ ! -x "$protoc" ]]; then
  echo "generate.sh: no protoc 3.21 at '$protoc': set PROTOC, or restore a project that uses Grpc.Tools (dotnet restore)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gen" "$tmp/stripped/rlhf/v1"
"$protoc" -I"$repo/protos" --python_out="$tmp/gen" "${protos[@]/#/$repo/protos/}"
for proto in "${protos[@]}"; do
  sed -E 's/^([[:space:]]*)optional /\1/' "$repo/protos/$proto" > "$tmp/stripped/$proto"
done
/usr/bin/python3 -m grpc_tools.protoc -I"$tmp/stripped" --grpc_python_out="$tmp/gen" "$tmp/stripped/rlhf/v1/reward_service.proto"

rm -rf "$out"
mkdir -p "$out"
for file in "$tmp"/gen/rlhf/v1/*.py; do
  sed -E -e 's/^from rlhf\.v1 import /from rlhf_client._pb import /' \
         -e "s/'rlhf\.v1\.([a-z_]+_pb2)'/'rlhf_client._pb.\1'/" "$file" > "$out/$(basename "$file")"
done
printf '"""Generated protobuf and gRPC stubs of rlhf.v1 (clients/python/generate.sh). Do not edit."""\n' > "$out/__init__.py"
echo "generate.sh: wrote $(ls "$out" | wc -l) files to $out"
