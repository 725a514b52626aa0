namespace Platform.Server.Storage.Changes;

/// <summary>
/// Holds on the change feed's history, for consumers that resume from a durable position (the realtime
/// dispatcher's replay, function triggers): a named hold at a position asks the provider to keep every change
/// after that position. Set it when the consumer starts, move it forward as the consumer advances (each time it
/// has durably handled a stretch of changes: writing it on every change costs a write each), release it when
/// the consumer is removed.
/// <para>
/// SQLite prunes a change once it is older than <c>Baas:Changes:Retention</c> <em>and</em> every hold is at or
/// past it, so a hold keeps history beyond the retention period. The size bounds still win over holds:
/// the log never exceeds <c>Baas:Changes:MaxRetained</c> changes or <c>Baas:Changes:MaxBytes</c> bytes, and a
/// consumer whose hold fell out of them gets <see cref="ChangeHistoryUnavailableException"/> from
/// <see cref="IChangeFeed.ReadAsync(string, CancellationToken)"/>, records the gap, and continues from <see cref="IChangeFeed.GetPositionAsync"/>.
/// MongoDB's history is the oplog, which holds cannot extend (<see cref="HoldsExtendHistory"/> is false there).
/// </para>
/// </summary>
public interface IChangeFeedRetention
{
    /// <summary>Whether holds keep history that would otherwise be pruned (SQLite), or are only recorded (MongoDB).</summary>
    bool HoldsExtendHistory { get; }

    /// <summary>
    /// Creates hold <paramref name="name"/> at <paramref name="position"/>, or moves it there (backwards too). Holds
    /// are durable: they survive restarts. The changes after the position are kept, within the size bounds.
    /// </summary>
    /// <param name="name">Who holds: a stable name such as <c>functions:onOrderCreated</c> (1-200 characters).</param>
    /// <param name="position">A position of this feed (<see cref="StoredChange.Sequence"/> or <see cref="IChangeFeed.GetPositionAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">The name is empty or too long, or the position is not a position of this feed.</exception>
    Task SetHoldAsync(string name, string position, CancellationToken cancellationToken = default);

    /// <summary>Removes hold <paramref name="name"/>; nothing happens when there is none.</summary>
    Task ReleaseHoldAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every hold, by name, with its position.</summary>
    Task<IReadOnlyDictionary<string, string>> GetHoldsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Holds for a provider whose history the server does not prune (MongoDB: the oplog's size decides): recorded for
/// <see cref="IChangeFeedRetention.GetHoldsAsync"/>, in memory, with no effect on what is kept.
/// </summary>
public sealed class RecordedChangeFeedHolds : IChangeFeedRetention
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _holds = new(StringComparer.Ordinal);

    public bool HoldsExtendHistory => false;

    public Task SetHoldAsync(string name, string position, CancellationToken cancellationToken = default)
    {
        ChangeFeedHolds.ValidateName(name);
        ArgumentException.ThrowIfNullOrEmpty(position);
        _holds[name] = position;
        return Task.CompletedTask;
    }

    public Task ReleaseHoldAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        _holds.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>> GetHoldsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new SortedDictionary<string, string>(_holds, StringComparer.Ordinal));
}

internal static class ChangeFeedHolds
{
    public const int MaxNameLength = 200;

    public static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"A hold name has at most {MaxNameLength} characters.", nameof(name));
        }
    }
}
