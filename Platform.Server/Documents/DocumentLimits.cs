using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Documents;

/// <summary><c>Baas:Documents</c>: how large and deep a document may be (DESIGN.md section 3).</summary>
public sealed class DocumentLimits
{
    public const string Section = "Baas:Documents";

    /// <summary>Maximum serialized size in UTF-8 bytes (default 1 MiB).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBytes { get; set; } = 1_048_576;

    /// <summary>Maximum nesting: the document itself is level 1, each nested object or array one more (default 32).</summary>
    [Range(1, 256)]
    public int MaxDepth { get; set; } = 32;

    /// <summary>Default of <see cref="SchemaTimeout"/>.</summary>
    public static readonly TimeSpan DefaultSchemaTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the schema check of one document may take in all (default 1 s); past it the write is refused with 422
    /// <c>schema_validation</c>. One <c>pattern</c> match has its own 1 s (Hosting.RegexDefaults), so a check ends within
    /// this plus one match.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan SchemaTimeout { get; set; } = DefaultSchemaTimeout;
}

/// <summary>Checks <see cref="DocumentLimits"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class DocumentLimitsValidator : IValidateOptions<DocumentLimits>;
