using System.ComponentModel.DataAnnotations;

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
}
