#!/usr/bin/env bash
# Restores and publishes one deployable. The container build (deploy/docker/Dockerfile) runs exactly this script, and
# the Slow test in tests/Rlhf.Deploy.Tests replays it on the host, so the two cannot drift apart.
#
# usage: publish.sh SERVICE OUT_DIR [CONFIGURATION]     SERVICE: policy|reference|critic|reward|orchestrator|cli
#        publish.sh --list                               prints the SERVICE names, one per line
#
# TORCH_BACKEND=cuda (environment) publishes the TorchSharp backend with the CUDA libtorch (-p:TorchBackend=cuda,
# package TorchSharp-cuda-linux) instead of the CPU one (default: cpu); the GPU images (k8s overlays/gpu) need it.
#
# Besides the published files, OUT_DIR receives rlhf-entrypoint.sh and rlhf-service.env (RLHF_ASSEMBLY, RLHF_PORT),
# which the image's ENTRYPOINT uses.
set -euo pipefail

readonly services=(policy reference critic reward orchestrator cli)

if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${services[@]}"
  exit 0
fi
if [[ $# -lt 2 ]]; then
  echo "usage: $0 SERVICE OUT_DIR [CONFIGURATION]   (SERVICE: ${services[*]})" >&2
  exit 2
fi

service=$1
out=$2
configuration=${3:-Release}
torch_backend=${TORCH_BACKEND:-cpu}
if [[ $torch_backend != cpu && $torch_backend != cuda ]]; then
  echo "publish.sh: TORCH_BACKEND must be cpu or cuda, got '$torch_backend'" >&2
  exit 2
fi

# SERVICE -> project, assembly name, conventional port (docs/CONVENTIONS.md). The command line has no port.
case "$service" in
  policy)       project=services/hosts/Rlhf.PolicyService/Rlhf.PolicyService.csproj;             assembly=Rlhf.PolicyService;       port=50051 ;;
  reference)    project=services/hosts/Rlhf.ReferenceService/Rlhf.ReferenceService.csproj;       assembly=Rlhf.ReferenceService;    port=50052 ;;
  critic)       project=services/hosts/Rlhf.CriticService/Rlhf.CriticService.csproj;             assembly=Rlhf.CriticService;       port=50053 ;;
  reward)       project=services/hosts/Rlhf.RewardService/Rlhf.RewardService.csproj;             assembly=Rlhf.RewardService;       port=50054 ;;
  orchestrator) project=services/hosts/Rlhf.OrchestratorService/Rlhf.OrchestratorService.csproj; assembly=Rlhf.OrchestratorService; port=50055 ;;
  cli)          project=clients/Rlhf.Cli/Rlhf.Cli.csproj;                                  assembly=rlhf;                     port= ;;
  *)
    echo "publish.sh: unknown SERVICE '$service' (expected one of: ${services[*]})" >&2
    exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if [[ ! -f $project ]]; then
  echo "publish.sh: project $project does not exist in $root" >&2
  exit 3
fi

dotnet restore "$project" -p:TorchBackend="$torch_backend"
dotnet publish "$project" --no-restore --configuration "$configuration" --output "$out" -p:UseAppHost=false -p:TorchBackend="$torch_backend"

printf 'RLHF_ASSEMBLY=%s\nRLHF_PORT=%s\n' "$assembly" "$port" > "$out/rlhf-service.env"
install -m 0755 deploy/docker/entrypoint.sh "$out/rlhf-entrypoint.sh"
if [[ ! -f $out/$assembly.dll ]]; then
  echo "publish.sh: expected $out/$assembly.dll after publishing $project" >&2
  exit 4
fi
