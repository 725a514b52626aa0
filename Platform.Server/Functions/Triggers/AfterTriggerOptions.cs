using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Functions.Triggers;

/// <summary>
/// <c>Baas:Functions:AfterTriggers</c>: how a node consumes the change feed for <c>after</c> triggers (docs/functions-triggers.md).
/// Retries, chain depth and the definition cache are in <see cref="FunctionOptions"/>.
/// </summary>
public sealed class AfterTriggerOptions : IValidatableObject
{
    public const string Section = "Baas:Functions:AfterTriggers";

    /// <summary>
    /// How long a node's claim on a function's feed lasts without renewal. When the owning node dies, another node takes
    /// over after at most this long.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the owner renews its lease, and how often other nodes check whether it has expired.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Changes of one function read from the feed but not yet behind its checkpoint. When a failing document holds the
    /// checkpoint back this long, reading pauses until it is done; memory stays bounded.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPendingChanges { get; set; } = 10_000;

    /// <summary>
    /// Documents of one function whose changes run at once (each document's changes run one at a time, in order). The
    /// node-wide bound is <see cref="FunctionOptions.MaxConcurrentRuns"/>, whose default this matches.
    /// </summary>
    [Range(1, 1024)]
    public int MaxParallelDocuments { get; set; } = 16;

    /// <summary>
    /// Most run records of one function committed in one store write (group commit): the records of runs that finish
    /// while the previous write waits for the store go together, with the checkpoint, in the next one.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxRunsPerCommit { get; set; } = 256;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("must be at least 00:00:01 and at most 01:00:00.", [nameof(LeaseDuration)]);
        }

        if (LeaseRenewInterval <= TimeSpan.Zero || LeaseRenewInterval * 2 > LeaseDuration)
        {
            yield return new ValidationResult("must be more than 0 and at most half of LeaseDuration, so a renewal can fail once without losing the lease.", [nameof(LeaseRenewInterval)]);
        }
    }
}

/// <summary>Checks <see cref="AfterTriggerOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class AfterTriggerOptionsValidator : IValidateOptions<AfterTriggerOptions>;
