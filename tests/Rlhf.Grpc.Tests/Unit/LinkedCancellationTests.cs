using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.Tests.Unit;

public sealed class LinkedCancellationTests
{
    [Fact]
    public void Create_UserTokenCannotBeCancelled_TheCallTokenItself()
    {
        using var call = new CancellationTokenSource();

        using var linked = LinkedCancellation.Create(call.Token, CancellationToken.None);

        Assert.Equal(call.Token, linked.Token);
    }

    [Fact]
    public void Create_UserTokenIsTheCallToken_TheCallTokenItself()
    {
        using var call = new CancellationTokenSource();

        using var linked = LinkedCancellation.Create(call.Token, call.Token);

        Assert.Equal(call.Token, linked.Token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Create_OwnUserToken_CancelledByEither(bool cancelUser)
    {
        using var call = new CancellationTokenSource();
        using var user = new CancellationTokenSource();

        using var linked = LinkedCancellation.Create(call.Token, user.Token);
        Assert.NotEqual(call.Token, linked.Token);
        Assert.False(linked.Token.IsCancellationRequested);
        (cancelUser ? user : call).Cancel();

        Assert.True(linked.Token.IsCancellationRequested);
    }
}
