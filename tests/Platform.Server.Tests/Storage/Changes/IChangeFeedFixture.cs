using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Storage.Changes;

/// <summary>A store fixture whose provider also offers the change feed of that store.</summary>
public interface IChangeFeedFixture : IStoreFixture
{
    /// <summary>The feed of <see cref="IStoreFixture.Store"/> (only valid when <see cref="IStoreFixture.SkipReason"/> is null).</summary>
    IChangeFeed Feed { get; }

    /// <summary>Null when <see cref="ForgetHistoryAsync"/> works; otherwise why a test cannot make this provider forget.</summary>
    string? CannotForgetHistoryReason { get; }

    /// <summary>
    /// Commits changes to <paramref name="collection"/>, then makes the feed forget at least the first, as retention
    /// does; returns a position from before them, which the feed can no longer continue from.
    /// </summary>
    Task<string> ForgetHistoryAsync(string collection);
}
