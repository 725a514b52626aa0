using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Storage.Changes;

/// <summary>
/// <c>Baas:Changes</c>: how much change history the SQLite provider keeps for resuming readers. A change is
/// pruned once it is older than <see cref="Retention"/> and no hold (<see cref="IChangeFeedRetention"/>) still
/// needs it, or as soon as keeping it would exceed <see cref="MaxRetained"/> changes or <see cref="MaxBytes"/>
/// bytes, oldest first; the bounds win over holds. The newest change is always kept. MongoDB ignores all three:
/// there the oplog's size decides how far back a reader can resume.
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

    /// <summary>
    /// The most bytes of document images (before and after each change, as stored JSON) kept (default 256 MiB).
    /// Enforced on every commit that passes it, so the log never holds much more than this, however large or
    /// frequent the writes; pruning goes down to seven eighths of it so that not every write prunes.
    /// </summary>
    [Range(1024, 1L << 40)]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;
}

/// <summary>Checks <see cref="ChangeFeedOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class ChangeFeedOptionsValidator : IValidateOptions<ChangeFeedOptions>;
