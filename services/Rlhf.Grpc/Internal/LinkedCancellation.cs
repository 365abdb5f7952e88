namespace Rlhf.Grpc.Internal;

/// <summary>
/// The token of one read or write that stops when either the call or the caller's own token is cancelled. When the
/// caller's token adds nothing (it cannot be cancelled, or it is the call's token) this is the call's token itself and
/// nothing is allocated; otherwise a linked source, released by <see cref="Dispose"/>.
/// </summary>
internal readonly struct LinkedCancellation : IDisposable
{
    private readonly CancellationTokenSource? _linked;

    private LinkedCancellation(CancellationToken token, CancellationTokenSource? linked)
    {
        Token = token;
        _linked = linked;
    }

    /// <summary>Cancelled when the call's token or the caller's token is.</summary>
    public CancellationToken Token { get; }

    /// <summary>Combines <paramref name="callToken"/> with <paramref name="userToken"/>, linking only when needed.</summary>
    public static LinkedCancellation Create(CancellationToken callToken, CancellationToken userToken)
    {
        if (!userToken.CanBeCanceled || userToken == callToken)
        {
            return new LinkedCancellation(callToken, null);
        }

        var linked = CancellationTokenSource.CreateLinkedTokenSource(userToken, callToken);
        return new LinkedCancellation(linked.Token, linked);
    }

    public void Dispose() => _linked?.Dispose();
}
