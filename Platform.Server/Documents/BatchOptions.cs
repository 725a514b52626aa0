using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Documents;

/// <summary><c>Baas:Batch</c>: limits of <c>POST /api/batch</c>.</summary>
public sealed class BatchOptions
{
    public const string Section = "Baas:Batch";

    /// <summary>Most operations in one batch (DESIGN.md: 500).</summary>
    [Range(1, 10_000)]
    public int MaxOperations { get; set; } = 500;

    /// <summary>Largest batch request body.</summary>
    [Range(1024, 1L << 30)]
    public long MaxBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Most bytes of documents echoed in a batch's answer (default 16 MiB). Results carry their full
    /// <c>document</c> while the documents echoed so far fit; every later result carries only
    /// <c>status</c>, <c>id</c> and <c>version</c>. 0 echoes no documents, like <c>?return=minimal</c>.
    /// </summary>
    [Range(0, 1L << 30)]
    public long MaxResponseBytes { get; set; } = 16 * 1024 * 1024;
}

/// <summary>Checks <see cref="BatchOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class BatchOptionsValidator : IValidateOptions<BatchOptions>;
