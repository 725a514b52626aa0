namespace Platform.Server.Auth;

/// <summary>
/// A session that ended on this node: one app-user session (<see cref="SessionId"/> set), or every token of a caller
/// (<see cref="SessionId"/> null: a disabled or deleted user, an admin who signed out or was disabled).
/// </summary>
public sealed record SessionEnded(BaasCallerKind Kind, string CallerId, string? SessionId)
{
    /// <summary>True when <paramref name="caller"/>'s token belongs to what ended.</summary>
    public bool Covers(BaasCaller? caller) =>
        caller is not null
        && caller.Kind == Kind
        && string.Equals(caller.Id, CallerId, StringComparison.Ordinal)
        && (SessionId is null || string.Equals(caller.SessionId, SessionId, StringComparison.Ordinal));
}

/// <summary>
/// Answers "is the session behind this caller's token still alive?" for one kind of caller (app users: their
/// <c>_sessions</c> record; admins: their account). Implementations cache answers per node for at most
/// <c>Baas:Auth:SessionCheckInterval</c> and forget them at once when the session ends on this node.
/// </summary>
public interface ICallerSessionCheck
{
    BaasCallerKind Kind { get; }

    /// <param name="caller">The caller as its token says.</param>
    /// <param name="fresh">Read the store, not the node's cache (the periodic realtime check).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    Task<bool> IsActiveAsync(BaasCaller caller, bool fresh, CancellationToken cancellationToken = default);
}

/// <summary>
/// The node's view of token sessions: checks a caller through the <see cref="ICallerSessionCheck"/> for its kind.
/// Service keys (revoked through their own cache) and callers without a check are always alive here.
/// </summary>
public sealed class CallerSessions(IEnumerable<ICallerSessionCheck> checks)
{
    private readonly ICallerSessionCheck[] _checks = [.. checks];

    public Task<bool> IsActiveAsync(BaasCaller caller, bool fresh = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var check = Array.Find(_checks, c => c.Kind == caller.Kind);
        return check is null ? Task.FromResult(true) : check.IsActiveAsync(caller, fresh, cancellationToken);
    }
}

/// <summary>Tells listeners (the realtime hub) at once when a session ends on this node.</summary>
public sealed class SessionEndings
{
    /// <summary>Raised on the thread that ended the session; handlers must be quick and must not throw.</summary>
    public event EventHandler<SessionEnded>? Ended;

    public void Publish(SessionEnded ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        Ended?.Invoke(this, ended);
    }
}
