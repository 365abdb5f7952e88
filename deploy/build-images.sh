#!/usr/bin/env bash
# Builds the container images rlhf/<service>:<version> for the five hosts and the `rlhf` command line (rlhf/cli),
# with whichever of docker, podman or buildah is installed (CONTAINER_TOOL overrides the choice).
#
# usage: deploy/build-images.sh [--dry-run] [--push] [--registry HOST/PATH] [SERVICE...]
#   --dry-run          print the commands instead of running them (works without any container tool)
#   --push             push each image after building it
#   --registry PREFIX  image name prefix instead of `rlhf` (e.g. ghcr.io/acme/rlhf -> ghcr.io/acme/rlhf/reward:TAG)
#   SERVICE...         a subset of: policy reference critic reward orchestrator cli (default: all six)
# The tag is $VERSION when set, else `git describe --tags --always --dirty`; it is never `latest`.
# TORCH_BACKEND=cuda builds the model services' GPU images (CUDA libtorch, -p:TorchBackend=cuda), tagged <version>-cuda.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dockerfile=deploy/docker/Dockerfile
mapfile -t known < <(bash "$root/deploy/docker/publish.sh" --list)

die() { echo "build-images.sh: $*" >&2; exit 2; }

dry_run=0
push=0
prefix=${REGISTRY:-rlhf}
selected=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --push) push=1 ;;
    --registry) [[ $# -ge 2 ]] || die "--registry needs a value"; prefix=${2%/}; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *)
      [[ " ${known[*]} " == *" $1 "* ]] || die "unknown service '$1' (expected: ${known[*]})"
      selected+=("$1") ;;
  esac
  shift
done
[[ ${#selected[@]} -gt 0 ]] || selected=("${known[@]}")

# Version: explicit, else from git. Docker tags allow [A-Za-z0-9_.-] (128 chars, not starting with . or -).
version=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || true)}
[[ -n $version ]] || die "cannot determine the version: set VERSION or run inside a git checkout"
version=$(printf '%s' "$version" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-128)
version=${version#[.-]}
[[ $version != latest ]] || die "refusing the tag 'latest': images are always pinned"
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)

# Tool: docker, then podman, then buildah. A dry run without any of them prints docker commands.
tool=${CONTAINER_TOOL:-}
if [[ -z $tool ]]; then
  for candidate in docker podman buildah; do
    if command -v "$candidate" >/dev/null 2>&1; then tool=$candidate; break; fi
  done
fi
if [[ -z $tool ]]; then
  [[ $dry_run -eq 1 ]] || die "none of docker, podman or buildah is installed (set CONTAINER_TOOL)"
  tool=docker
fi

run() {
  if [[ $dry_run -eq 1 ]]; then
    printf '%q ' "$@" | sed 's/ $//'
    printf '\n'
  else
    (cd "$root" && "$@")
  fi
}

torch_backend=${TORCH_BACKEND:-cpu}
[[ $torch_backend == cpu || $torch_backend == cuda ]] || die "TORCH_BACKEND must be cpu or cuda, got '$torch_backend'"
suffix=
[[ $torch_backend == cpu ]] || suffix=-$torch_backend

for service in "${selected[@]}"; do
  image="$prefix/$service:$version$suffix"
  build=(build -f "$dockerfile"
    --build-arg "SERVICE=$service" --build-arg "VERSION=$version" --build-arg "REVISION=$revision")
  [[ $torch_backend == cpu ]] || build+=(--build-arg "TORCH_BACKEND=$torch_backend")
  build+=(-t "$image" .)
  run "$tool" "${build[@]}"
  if [[ $push -eq 1 ]]; then
    run "$tool" push "$image"
  fi
done
