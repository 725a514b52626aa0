using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.AdminTools;

/// <summary><c>Baas:AdminTools</c>: the bounds of the dashboard's data tools (schema check, bulk, import, export) and the overview.</summary>
public sealed class AdminToolsOptions
{
    public const string Section = "Baas:AdminTools";

    /// <summary>Most stored documents one schema check reads; past it the answer says <c>complete: false</c>.</summary>
    [Range(1, 10_000_000)]
    public int SchemaCheckMaxDocuments { get; set; } = 10_000;

    /// <summary>Failing documents a schema check describes in <c>samples</c>.</summary>
    [Range(0, 1000)]
    public int SchemaCheckSamples { get; set; } = 10;

    /// <summary>Most documents one bulk update or delete may match; a filter matching more is refused (400 <c>bulk_too_large</c>).</summary>
    [Range(1, 10_000_000)]
    public int BulkMaxDocuments { get; set; } = 10_000;

    /// <summary>Documents read, changed and written per page of a bulk operation, an import or an export (each page is one atomic store write).</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 500;

    /// <summary>Most rows one import reads; the rest of the upload is not imported and the answer says so.</summary>
    [Range(1, 100_000_000)]
    public int ImportMaxRows { get; set; } = 100_000;

    /// <summary>Longest NDJSON line or CSV record (and largest JSON array element), in bytes.</summary>
    [Range(1024, 64L * 1024 * 1024)]
    public int ImportMaxLineBytes { get; set; } = 1024 * 1024 + 1024;

    /// <summary>Largest import upload, in bytes (Kestrel's default request limit does not apply to imports).</summary>
    [Range(1024, 1L << 40)]
    public long ImportMaxBytes { get; set; } = 1L << 30;

    /// <summary>Per-row errors an import answer lists (the count of failed rows is always exact).</summary>
    [Range(0, 10_000)]
    public int ImportMaxErrors { get; set; } = 100;

    /// <summary>Most CSV columns an export writes; a collection with more distinct field paths needs <c>fields=</c>.</summary>
    [Range(1, 100_000)]
    public int ExportMaxColumns { get; set; } = 1000;

    /// <summary>Failed function runs <c>GET /api/admin/overview</c> lists when the caller does not say (<c>?failures=</c>, at most <see cref="AdminToolsEndpoints.MaxOverviewFailures"/>).</summary>
    [Range(0, AdminToolsEndpoints.MaxOverviewFailures)]
    public int OverviewFailures { get; set; } = 10;
}

/// <summary>Checks <see cref="AdminToolsOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class AdminToolsOptionsValidator : IValidateOptions<AdminToolsOptions>;
