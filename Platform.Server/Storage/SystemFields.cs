namespace Platform.Server.Storage;

/// <summary>Names of the fields the server owns on every document (DESIGN.md section 3).</summary>
public static class SystemFields
{
    public const string Id = "_id";
    public const string CreatedAt = "_createdAt";
    public const string UpdatedAt = "_updatedAt";
    public const string CreatedBy = "_createdBy";
    public const string Version = "_version";

    public static readonly IReadOnlyList<string> All = [Id, CreatedAt, UpdatedAt, CreatedBy, Version];

    public static bool IsSystemField(string name) => name.Length > 0 && name[0] == '_';
}
