using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Server.Common;

namespace Platform.Server.Users;

/// <summary>
/// App-user roles: what rules see in <c>auth.roles</c>. Names are conservative (<see cref="Pattern"/>) so they are
/// safe in tokens, logs and rule literals. A role named "admin" is just a role: only admin accounts reach /api/admin.
/// </summary>
public static partial class UserRoles
{
    // \z, not $: .NET's $ also matches before a final line feed, which let "name\n" through.
    public const string Pattern = @"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\z";
    public const int MaxRoles = 32;

    /// <summary>The roles in <paramref name="node"/> (a JSON array of names), de-duplicated in order; 400 <c>invalid_role</c> naming the bad entry.</summary>
    public static IReadOnlyList<string> Parse(JsonNode? node, string field = "roles")
    {
        if (node is not JsonArray array)
        {
            throw new InvalidInputException("invalid_role", "'roles' must be an array of role names.", field);
        }

        if (array.Count > MaxRoles)
        {
            throw new InvalidInputException("invalid_role", $"A user can have at most {MaxRoles} roles.", field);
        }

        var roles = new List<string>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue value || value.GetValueKind() != JsonValueKind.String || !RoleName().IsMatch(value.GetValue<string>()))
            {
                throw new InvalidInputException(
                    "invalid_role",
                    "A role is 1-64 characters: a letter or digit, then letters, digits, '_', '.', ':' or '-'.",
                    $"{field}[{i}]");
            }

            var role = value.GetValue<string>();
            if (!roles.Contains(role, StringComparer.Ordinal))
            {
                roles.Add(role);
            }
        }

        return roles;
    }

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex RoleName();
}
