namespace Platform.Sdk.Http;

/// <summary>Relative API paths with escaped segments.</summary>
internal static class BaasPaths
{
    public static string Documents(string collection) => "api/collections/" + Uri.EscapeDataString(collection) + "/documents";

    public static string Document(string collection, string id) => Documents(collection) + "/" + Uri.EscapeDataString(id);

    public static string Query(string collection) => "api/collections/" + Uri.EscapeDataString(collection) + "/query";

    public const string Batch = "api/batch";

    public const string AdminLogin = "api/admin/auth/login";

    public const string AdminCollections = "api/admin/collections";

    public static string AdminCollection(string name) => AdminCollections + "/" + Uri.EscapeDataString(name);

    public const string ApiKeys = "api/admin/apikeys";

    public static string ApiKey(string id) => ApiKeys + "/" + Uri.EscapeDataString(id);
}
