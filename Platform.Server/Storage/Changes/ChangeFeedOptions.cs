using System.ComponentModel.DataAnnotations;

namespace Platform.Server.Storage.Changes;

/// <summary>
/// <c>Baas:Changes</c>: how much change history the SQLite provider keeps for resuming readers. A change is
/// pruned once it is older than <see cref="Retention"/> or more than <see cref="MaxRetained"/> newer changes
/// exist, whichever comes first. MongoDB ignores both: there the oplog's size decides how far back a reader
/// can resume.
/// </summary>
public sealed class ChangeFeedOptions
{
    public const string Section = "Baas:Changes";

    /// <summary>How long a committed change stays readable (default one hour).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most changes kept, newest first (default 100,000).</summary>
    [Range(1, 100_000_000)]
    public int MaxRetained { get; set; } = 100_000;
}
