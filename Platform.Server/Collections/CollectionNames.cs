using System.Text.RegularExpressions;
using Platform.Server.Common;

namespace Platform.Server.Collections;

/// <summary>User collection names: <c>^[a-z][a-z0-9_-]{0,62}$</c>. Names starting with <c>_</c> are the server's own.</summary>
public static partial class CollectionNames
{
    public const string Definitions = "_collections";

    // \z, not $: .NET's $ also matches before a final line feed, which let "name\n" through.
    [GeneratedRegex(@"^[a-z][a-z0-9_-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex UserName();

    public static bool IsValid(string? name) => name is not null && UserName().IsMatch(name);

    /// <summary>Throws a 400 naming <paramref name="field"/> when the name is not a valid user collection name.</summary>
    public static string Validate(string? name, string field = "collection")
    {
        if (!IsValid(name))
        {
            throw new InvalidInputException(
                "invalid_collection_name",
                $"'{name}' is not a valid collection name: use 1-63 characters, a lowercase letter first, then lowercase letters, digits, '_' or '-'.",
                field);
        }

        return name!;
    }

    /// <summary>
    /// The 404 <c>collection_not_found</c> of a valid name that is not defined, naming <paramref name="field"/> (the
    /// parameter or body member that held the name) like every other problem about one input.
    /// </summary>
    public static DomainException NotDefined(string name, string field = "collection") =>
        new(ErrorKind.NotFound, "collection_not_found", $"Collection '{name}' is not defined.", field);
}
