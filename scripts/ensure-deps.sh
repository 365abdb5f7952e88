#!/usr/bin/env bash
# Installs the Debian packages the suite needs when they are missing (as root, or through sudo).
#   libopenblas0-pthread  GEMM for the engine (cblas_sgemm)
#   python3-torch/numpy   numerical reference fixtures (tests only)
#   python3-grpcio(+tools) independent gRPC implementation for interop tests and the Python client
#   python3-sentencepiece  reference encodings for the SentencePiece tokenizer tests (tests only)
#   libicu72              NFC normalization of Qwen2-style tokenizers under InvariantGlobalization (tests only here)
#   kubectl               renders the kustomize overlays in the deploy tests
#   chromium              renders report.html headlessly in the report tests (plots and tables drawn, not blank)
#   patchelf, gcc, libc6-dev  the build's TorchSharp compatibility step, only where libstdc++ lacks GLIBCXX_3.4.32 (Debian 12)
# Usage: scripts/ensure-deps.sh [runtime|test]   (default: test)
set -euo pipefail
mode=${1:-test}
pkgs=(libopenblas0-pthread)
libstdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -z "$libstdcxx" ] || ! grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
  pkgs+=(patchelf gcc libc6-dev)   # services/Rlhf.Models.Torch/build/torchsharp-compat.sh (libc6-dev: headers, only recommended by gcc)
fi
if [ "$mode" = test ]; then
  pkgs+=(python3-torch python3-numpy python3-grpcio python3-grpc-tools python3-protobuf python3-sentencepiece libicu72 kubectl chromium)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
