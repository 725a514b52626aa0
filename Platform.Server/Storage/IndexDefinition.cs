namespace Platform.Server.Storage;

/// <summary>
/// A user-defined single or compound index. A unique index constrains only documents that have
/// every indexed field (missing fields are not constrained; null is a value).
/// </summary>
public sealed record IndexDefinition(IReadOnlyList<SortField> Fields, bool Unique = false)
{
    /// <summary>A stable name derived from the keys, e.g. <c>ix_ownerId_-_createdAt</c> or <c>ux_email</c>.</summary>
    public string Name => (Unique ? "ux_" : "ix_") + string.Join("_", Fields.Select(f => f.ToString()));
}
