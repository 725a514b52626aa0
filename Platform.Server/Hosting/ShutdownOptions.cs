using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Hosting;

/// <summary><c>Baas:Shutdown</c>: how the node drains on SIGTERM (docs/deployment.md, Graceful shutdown).</summary>
public sealed class ShutdownOptions : IValidatableObject
{
    public const string Section = "Baas:Shutdown";

    /// <summary>
    /// How long in-flight requests and background services get to finish once the node stops accepting connections
    /// (the host's <c>ShutdownTimeout</c>); what is still running after it is aborted. Default 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the node keeps accepting requests after SIGTERM while <c>/health/ready</c> answers 503, so a load
    /// balancer that polls it stops sending new work first. Default 0 (stop accepting at once).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.Zero;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DrainDelay >= GracePeriod)
        {
            yield return new ValidationResult(
                "Baas:Shutdown:DrainDelay must be shorter than Baas:Shutdown:GracePeriod.",
                [nameof(DrainDelay)]);
        }
    }
}

/// <summary>Checks <see cref="ShutdownOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>;
