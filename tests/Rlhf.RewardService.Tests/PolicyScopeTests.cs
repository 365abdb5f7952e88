using Grpc.Core;
using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class PolicyScopeTests
{
    [Fact]
    public async Task PolicyService_ScoreKey_ModelInfoAllowedTrainingRpcsDenied()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:Keys:0:Name"] = "team-score",
            ["Auth:Keys:0:Key"] = "score-key",
            ["Auth:Keys:0:Scopes:0"] = "score",
            ["Auth:Keys:1:Name"] = "orchestrator",
            ["Auth:Keys:1:Key"] = "train-key",
            ["Auth:Keys:1:Scopes:0"] = "train",
        }, ModelRole.Policy);
        var lease = new AcquireTrainingLeaseRequest { RunId = "run-1" };

        var info = await host.Policy("score-key").GetModelInfoAsync(new GetModelInfoRequest());
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await host.Policy("score-key").AcquireTrainingLeaseAsync(lease));
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await host.Policy().GetModelInfoAsync(new GetModelInfoRequest()));
        await host.Policy("train-key").AcquireTrainingLeaseAsync(lease);

        Assert.Equal("rlhf.v1.PolicyService", info.Service);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("'train'", denied.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
    }
}
