using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Storage.Filters;

/// <summary>
/// Bounds on a client filter (DESIGN.md section 4), so one request cannot make a provider build an
/// unbounded query. Defaults: depth 16, 200 conditions, 1,000 values in one <c>$in</c>/<c>$nin</c>/<c>$all</c>.
/// </summary>
public sealed class FilterLimits
{
    /// <summary>Configuration section, for binding as options.</summary>
    public const string Section = "Baas:Filters";

    /// <summary>A fresh instance with the default limits.</summary>
    public static FilterLimits Default => new();

    /// <summary>
    /// Maximum nesting: the filter object is level 1; each <c>$and</c>/<c>$or</c>/<c>$nor</c> element,
    /// <c>$not</c> operand and <c>$elemMatch</c> operand is one level deeper than its parent.
    /// </summary>
    [Range(1, 100)]
    public int MaxDepth { get; set; } = 16;

    /// <summary>Maximum number of conditions (operators on fields, <c>$elemMatch</c> included) in one filter.</summary>
    [Range(1, 10_000)]
    public int MaxConditions { get; set; } = 200;

    /// <summary>Maximum number of values in one <c>$in</c>, <c>$nin</c> or <c>$all</c> array.</summary>
    [Range(1, 100_000)]
    public int MaxArrayValues { get; set; } = 1000;
}

/// <summary>Checks <see cref="FilterLimits"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class FilterLimitsValidator : IValidateOptions<FilterLimits>;
