using System.Globalization;

namespace Platform.Sdk;

/// <summary>
/// A stored document: your data plus the system fields the server keeps (<c>_id</c>, <c>_version</c>,
/// <c>_createdAt</c>, <c>_updatedAt</c>, <c>_createdBy</c>).
/// </summary>
/// <typeparam name="T">Your document type.</typeparam>
public sealed class Document<T>
{
    /// <summary>Creates a document (the SDK does this; public so tests can build fakes).</summary>
    /// <param name="id">The <c>_id</c>.</param>
    /// <param name="version">The <c>_version</c>.</param>
    /// <param name="createdAt">The <c>_createdAt</c>.</param>
    /// <param name="updatedAt">The <c>_updatedAt</c>.</param>
    /// <param name="createdBy">The <c>_createdBy</c>.</param>
    /// <param name="data">The data.</param>
    public Document(string id, long version, DateTimeOffset createdAt, DateTimeOffset updatedAt, string? createdBy, T data)
    {
        Id = id;
        Version = version;
        CreatedAt = createdAt;
        UpdatedAt = updatedAt;
        CreatedBy = createdBy;
        Data = data;
    }

    /// <summary>The document id (<c>_id</c>).</summary>
    public string Id { get; }

    /// <summary>The version (<c>_version</c>): 1 when created, +1 on every write. Pass it as <c>ifMatch</c> to write only if nobody changed the document since.</summary>
    public long Version { get; }

    /// <summary>When the document was created (UTC, millisecond precision).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When the document was last written (UTC, millisecond precision).</summary>
    public DateTimeOffset UpdatedAt { get; }

    /// <summary>The id of the app user who created it; null for writes with a service key or admin token.</summary>
    public string? CreatedBy { get; }

    /// <summary>Your data. When <typeparamref name="T"/> has an id property (<see cref="BaasIdAttribute"/> or <c>Id</c>), it holds <see cref="Id"/>.</summary>
    public T Data { get; }

    /// <summary>The HTTP entity tag of this version, <c>"3"</c>.</summary>
    public string ETag => "\"" + Version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id} (v{Version})");
}
