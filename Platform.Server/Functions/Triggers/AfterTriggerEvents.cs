using System.Security.Cryptography;
using System.Text;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Functions.Triggers;

/// <summary>The pure rules of <c>after</c> triggers: which changes run a function, event ids, and retry delays.</summary>
public static class AfterTriggerEvents
{
    /// <summary>The trigger operation a change is (insert → create, replace → update, delete → delete).</summary>
    public static TriggerOperation Operation(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => TriggerOperation.Create,
        ChangeKind.Replace => TriggerOperation.Update,
        ChangeKind.Delete => TriggerOperation.Delete,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>True when <paramref name="function"/> is enabled and has an <c>after</c> trigger for this change's collection and operation.</summary>
    public static bool Matches(FunctionDefinition function, StoredChange change)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(change);
        var operation = Operation(change.Kind);
        return function.Enabled && function.Triggers.Any(t =>
            t.Phase == TriggerPhase.After && string.Equals(t.Collection, change.Collection, StringComparison.Ordinal) && t.On.Contains(operation));
    }

    /// <summary>True when a function has at least one <c>after</c> trigger and is enabled: its feed is consumed.</summary>
    public static bool Consumes(FunctionDefinition function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.Enabled && function.Triggers.Any(t => t.Phase == TriggerPhase.After);
    }

    /// <summary>
    /// <c>ctx.event.id</c>: derived from the change's feed position only, so every delivery of the same committed change
    /// (retries, redelivery after a crash, another node taking over) has the same id, and different changes differ.
    /// 32 lowercase hex characters (128 bits of SHA-256), usable as a document id.
    /// </summary>
    public static string EventId(string position)
    {
        ArgumentNullException.ThrowIfNull(position);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(position), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary><c>ctx.event</c> of a change.</summary>
    public static FunctionEvent ToEvent(StoredChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new FunctionEvent(EventId(change.Sequence), Operation(change.Kind), change.Collection, change.Id, change.Before, change.After);
    }

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based): <paramref name="first"/> doubling, at most <paramref name="max"/>.</summary>
    public static TimeSpan RetryDelay(int attempt, TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var delay = first;
        for (var i = 1; i < attempt && delay < max; i++)
        {
            delay *= 2;
        }

        return delay < max ? delay : max;
    }

    /// <summary>Why a change is not run: its own function made it (loop guard), or its chain is too deep; null when it runs.</summary>
    public static SkipReason? Skip(FunctionDefinition function, StoredChange change, int maxChainDepth)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(change);
        if (change.Origin is not { } origin)
        {
            return null;
        }

        if (string.Equals(origin.Function, function.Name, StringComparison.Ordinal))
        {
            return SkipReason.OwnWrite;
        }

        return origin.Depth >= maxChainDepth ? SkipReason.ChainTooDeep : null;
    }
}

/// <summary>Why an <c>after</c> trigger does not run for a matching change.</summary>
public enum SkipReason
{
    /// <summary>The function's own write (loop guard): skipped silently, by design.</summary>
    OwnWrite,

    /// <summary>The chain of function writes reached <see cref="FunctionOptions.MaxChainDepth"/>: recorded as a failed run.</summary>
    ChainTooDeep,
}
