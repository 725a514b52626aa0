using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Memory;

/// <summary>
/// <c>Baas:Memory</c>: whether the node gives memory back to the operating system once it has served no request for a
/// while (docs/deployment.md, "Memory, GC and start-up").
/// </summary>
public sealed class MemoryOptions
{
    public const string Section = "Baas:Memory";

    /// <summary>
    /// After <see cref="IdleDelay"/> without a request, run one full compacting collection that returns the managed
    /// heap's free memory, and on Linux with glibc <c>malloc_trim</c>, which returns the native heaps' free pages. Once
    /// per idle period, never while a request runs. Default on.
    /// </summary>
    public bool TrimWhenIdle { get; set; } = true;

    /// <summary>
    /// How long no request may have started or finished before the trim runs (default 5 s). Shorter gives memory back
    /// sooner after a burst; each trim costs a blocking full collection, so a node whose traffic comes in gaps just over
    /// this delay trims after every gap.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="MemoryOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class MemoryOptionsValidator : IValidateOptions<MemoryOptions>;
