using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Documents;

/// <summary>
/// <c>Baas:Query</c>: paging limits and the cost limits of queries (DESIGN.md section 4). Filter limits are
/// <c>Baas:Filters</c>.
/// </summary>
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

    /// <summary>
    /// The time budget of one query request (its page and its count together) for app users and anonymous visitors:
    /// past it the store stops the work and the answer is 422 <c>query_timeout</c>. Default 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The same budget for service keys and admins. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ServiceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many queries of app users and anonymous visitors run at once on this node; more wait (see
    /// <see cref="QueueTimeout"/>). Service keys and admins, reads by id, writes and health checks never wait here.
    /// Default: the number of cores.
    /// </summary>
    [Range(1, 4096)]
    public int MaxConcurrent { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// How long a query waits for one of the <see cref="MaxConcurrent"/> places before the answer is 503
    /// <c>server_busy</c> with <c>Retry-After</c>. Default 1 s; zero answers at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Checks <see cref="QueryOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class QueryOptionsValidator : IValidateOptions<QueryOptions>;
