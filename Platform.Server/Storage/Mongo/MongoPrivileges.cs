using MongoDB.Bson;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// The start-up check of the MongoDB user's privileges (issue 12 item 6): which actions Baas needs on its database,
/// and which of them an answer of <c>connectionStatus</c> with <c>showPrivileges</c> lacks. Pure, so it is tested
/// against constructed answers. docs/storage.md ("A least-privilege user") gives the matching custom role.
/// </summary>
internal static class MongoPrivileges
{
    private const int Unauthorized = 13;

    /// <summary>
    /// The actions Baas needs on its whole database (<c>{ db: "&lt;database&gt;", collection: "" }</c>): collections are
    /// created at run time, so a grant on named collections is not enough. Each with what needs it.
    /// </summary>
    public static IReadOnlyList<(string Action, string Why)> Required { get; } =
    [
        ("find", "reading documents and the database-wide change stream"),
        ("insert", "creating documents"),
        ("update", "replacing documents"),
        ("remove", "deleting documents"),
        ("createCollection", "creating collections (with changeStreamPreAndPostImages)"),
        ("dropCollection", "deleting collections"),
        ("listCollections", "finding collections whose pre-images are off"),
        ("collMod", "turning changeStreamPreAndPostImages on for a collection that lacks it"),
        ("createIndex", "building the indexes of collection definitions"),
        ("dropIndex", "dropping indexes no longer defined"),
        ("listIndexes", "comparing defined and existing indexes"),
        ("changeStream", "the change stream behind realtime and after-trigger functions"),
    ];

    /// <summary>The <c>connectionStatus</c> command that lists the authenticated user's privileges.</summary>
    public static BsonDocument ConnectionStatusCommand() => new() { { "connectionStatus", 1 }, { "showPrivileges", true } };

    /// <summary>
    /// The required actions the answer's privileges do not grant on <paramref name="database"/>, in
    /// <see cref="Required"/> order. Empty when every one is granted, and when no user is authenticated (the server
    /// then runs without access control, or every command fails on its own with Unauthorized, which start-up reports).
    /// </summary>
    public static IReadOnlyList<string> Missing(BsonDocument connectionStatus, string database)
    {
        ArgumentNullException.ThrowIfNull(connectionStatus);
        ArgumentException.ThrowIfNullOrEmpty(database);
        if (connectionStatus.GetValue("authInfo", BsonNull.Value) is not BsonDocument authInfo
            || authInfo.GetValue("authenticatedUsers", BsonNull.Value) is not BsonArray { Count: > 0 })
        {
            return [];
        }

        var granted = new HashSet<string>(StringComparer.Ordinal);
        if (authInfo.GetValue("authenticatedUserPrivileges", BsonNull.Value) is BsonArray privileges)
        {
            foreach (var privilege in privileges.OfType<BsonDocument>())
            {
                if (privilege.GetValue("resource", BsonNull.Value) is BsonDocument resource
                    && CoversDatabase(resource, database)
                    && privilege.GetValue("actions", BsonNull.Value) is BsonArray actions)
                {
                    granted.UnionWith(actions.Where(a => a.IsString).Select(a => a.AsString));
                }
            }
        }

        return granted.Contains("anyAction") ? [] : [.. Required.Select(r => r.Action).Where(action => !granted.Contains(action))];
    }

    /// <summary>The one start-up line for missing actions, naming each and the role that grants them.</summary>
    public static string Describe(IReadOnlyList<string> missing, string database, string? user)
    {
        ArgumentNullException.ThrowIfNull(missing);
        var why = string.Join("; ", missing.Select(action => $"{action} ({Required.First(r => r.Action == action).Why})"));
        return $"The MongoDB user {user ?? "(unknown)"} lacks privileges Baas needs on database '{database}': {why}. "
            + "Grant readWrite plus collMod on the database (the custom role in docs/storage.md, 'A least-privilege user').";
    }

    /// <summary>MongoDB's Unauthorized (13): the user may not run the command.</summary>
    public static bool IsUnauthorized(MongoDB.Driver.MongoCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Code == Unauthorized;
    }

    /// <summary>The one start-up line for a command refused with Unauthorized.</summary>
    public static string DescribeUnauthorized(MongoDB.Driver.MongoCommandException exception, string database)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return $"The MongoDB user may not run a command Baas needs on database '{database}' ({(exception.Command is { ElementCount: > 0 } command ? command.GetElement(0).Name : "command")}: {exception.ErrorMessage}). "
            + "Grant readWrite plus collMod on the database (the custom role in docs/storage.md, 'A least-privilege user').";
    }

    /// <summary>The authenticated user as <c>user@db</c>, or null.</summary>
    public static string? User(BsonDocument connectionStatus)
    {
        ArgumentNullException.ThrowIfNull(connectionStatus);
        return connectionStatus.GetValue("authInfo", BsonNull.Value) is BsonDocument authInfo
            && authInfo.GetValue("authenticatedUsers", BsonNull.Value) is BsonArray { Count: > 0 } users
            && users[0] is BsonDocument first
            ? $"{first.GetValue("user", "?")}@{first.GetValue("db", "?")}"
            : null;
    }

    // A privilege's resource covers every collection of the database: anyResource, the database itself
    // ({db: X, collection: ""}), or every database ({db: "", collection: ""}). Collection-level grants do not.
    private static bool CoversDatabase(BsonDocument resource, string database)
    {
        if (resource.GetValue("anyResource", BsonNull.Value) is BsonBoolean { Value: true })
        {
            return true;
        }

        return resource.GetValue("db", BsonNull.Value) is BsonString db
            && (db.Value.Length == 0 || db.Value == database)
            && resource.GetValue("collection", BsonNull.Value) is BsonString { Value.Length: 0 };
    }
}
