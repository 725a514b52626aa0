using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Audit;

/// <summary><c>Baas:Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Baas:Audit";

    /// <summary>How long entries are kept; older ones are deleted in the background.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often a node deletes entries past <see cref="Retention"/>.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Checks <see cref="AuditOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class AuditOptionsValidator : IValidateOptions<AuditOptions>;
