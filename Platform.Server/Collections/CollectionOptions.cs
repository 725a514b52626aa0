using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Collections;

/// <summary><c>Baas:Collections</c>.</summary>
public sealed class CollectionOptions
{
    public const string Section = "Baas:Collections";

    /// <summary>Writing to an undefined collection with a service key creates it (schemaless). Off by default.</summary>
    public bool AutoCreate { get; set; }

    /// <summary>
    /// Most indexes one collection may define (default 16, at most 63): MongoDB allows 64 indexes per collection and its
    /// own <c>_id_</c> index is one of them. Exceeding it is a 400 <c>invalid_index</c> naming <c>indexes</c>.
    /// </summary>
    [Range(1, 63)]
    public int MaxIndexes { get; set; } = 16;

    /// <summary>Most keys one compound index may have.</summary>
    [Range(1, 16)]
    public int MaxIndexFields { get; set; } = 8;

    /// <summary>
    /// Most <c>$ref</c> keywords one collection schema may hold (default 1,000). Each is resolved whenever the schema is
    /// compiled, at every save and every load of the definition, and compiling grows faster than the count (a chain of
    /// 1,000 compiled in about 0.08 s, 5,000 in 0.7 s, 20,000 in 3.4 s at load 7). More is a 400 <c>invalid_schema</c>
    /// naming the first <c>$ref</c> beyond the limit; only saves are checked, so a stored schema still loads.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxSchemaRefs { get; set; } = 1_000;

    /// <summary>
    /// How long a node trusts its cached copy of a definition before re-reading it. Changes made on
    /// this node apply at once; several nodes sharing one MongoDB see each other's edits and deletions within
    /// this time. A name not found is never cached, so a collection created on another node is usable at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DefinitionCacheTime { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="CollectionOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class CollectionOptionsValidator : IValidateOptions<CollectionOptions>;
