using System.ComponentModel.DataAnnotations;

namespace Platform.Server.Documents;

/// <summary><c>Baas:Query</c>: paging limits (DESIGN.md section 4). Filter limits are <c>Baas:Filters</c>.</summary>
public sealed class QueryOptions
{
    public const string Section = "Baas:Query";

    [Range(1, 10_000)]
    public int DefaultLimit { get; set; } = 50;

    [Range(1, 10_000)]
    public int MaxLimit { get; set; } = 1000;

    /// <summary>Most keys in one sort.</summary>
    [Range(1, 16)]
    public int MaxSortFields { get; set; } = 8;
}
