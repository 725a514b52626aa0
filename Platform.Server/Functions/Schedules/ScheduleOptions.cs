using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// <c>Baas:Functions:Schedules</c>: how scheduled functions run (Hangfire recurring jobs, docs/functions-schedules.md).
/// The job storage follows <c>Baas:Storage:Provider</c>: its own SQLite file in the data dir, or the same MongoDB
/// database with a collection prefix.
/// </summary>
public sealed class ScheduleOptions
{
    public const string Section = "Baas:Functions:Schedules";

    /// <summary>
    /// Whether this node runs scheduled functions (a Hangfire server with <see cref="WorkerCount"/> workers). A node
    /// with <c>false</c> still keeps the recurring jobs in sync with the definitions and serves the jobs dashboard;
    /// at least one node must run them.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Scheduled runs executing at once on this node (Hangfire workers). Runs also take a slot of <c>Baas:Functions:MaxConcurrentRuns</c>.</summary>
    [Range(1, 64)]
    public int WorkerCount { get; set; } = 2;

    /// <summary>
    /// How often this node looks for due schedules, due retries and queued runs. A run starts at most about this long
    /// after its due time; shorter costs more storage reads.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The Hangfire SQLite file inside <c>Baas:DataDir</c> (SQLite provider), apart from the data so job bookkeeping never blocks document writes.</summary>
    [RegularExpression(@"^[A-Za-z0-9_.-]{1,128}$")]
    public string SqliteFileName { get; set; } = "hangfire.db";

    /// <summary>The prefix of Hangfire's collections in the MongoDB database (Mongo provider).</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9_.-]{0,31}$")]
    public string MongoPrefix { get; set; } = "hangfire";

    /// <summary>Whether the jobs dashboard is served at <c>/admin/jobs</c> (admins only).</summary>
    public bool DashboardEnabled { get; set; } = true;

    /// <summary>How long a jobs dashboard session (the cookie minted by <c>POST /api/admin/jobs/session</c>) lasts.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan DashboardSessionLifetime { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>Checks <see cref="ScheduleOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class ScheduleOptionsValidator : IValidateOptions<ScheduleOptions>;
