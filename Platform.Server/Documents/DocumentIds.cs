using System.Text.RegularExpressions;
using Platform.Server.Common;

namespace Platform.Server.Documents;

/// <summary>Document ids chosen by clients: <c>^[A-Za-z0-9_-]{1,128}$</c> (DESIGN.md section 3).</summary>
public static partial class DocumentIds
{
    // \z, not $: .NET's $ also matches before a final line feed, which let "name\n" through.
    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,128}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Valid();

    public static bool IsValid(string? id) => id is not null && Valid().IsMatch(id);

    /// <summary>Throws a 400 naming <paramref name="field"/> when <paramref name="id"/> is not a valid id.</summary>
    public static string Validate(string? id, string field = "id")
    {
        if (!IsValid(id))
        {
            throw new InvalidInputException("invalid_id", $"'{id}' is not a valid document id: use 1-128 letters, digits, '_' or '-'.", field);
        }

        return id!;
    }
}
