using System.Text;

namespace Platform.Server.Storage;

/// <summary>
/// A user-defined single or compound index. A unique index constrains only documents that have
/// every indexed field (missing fields are not constrained; null is a value).
/// </summary>
public sealed record IndexDefinition(IReadOnlyList<SortField> Fields, bool Unique = false)
{
    /// <summary>
    /// A stable name derived from the keys, e.g. <c>ix_ownerId_-_createdAt</c>, <c>ux_email</c> or
    /// <c>ix_created%5Fat</c>: <c>ix_</c>/<c>ux_</c>, then each key (<c>-</c> before a descending one) joined by
    /// <c>_</c>. Two different definitions never share a name: inside a path, <c>%</c> and <c>_</c> are written
    /// <c>%25</c> and <c>%5F</c> (and a leading <c>-</c> as <c>%2D</c>), except the leading <c>_</c> of a system field,
    /// so <c>["a","b"]</c> is <c>ix_a_b</c> while <c>["a_b"]</c> is <c>ix_a%5Fb</c>. Paths without those characters
    /// keep the names earlier versions gave them.
    /// </summary>
    public string Name => NameOf(Fields, Unique);

    /// <summary>The name of an index over <paramref name="fields"/> (see <see cref="Name"/>).</summary>
    public static string NameOf(IReadOnlyList<SortField> fields, bool unique)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var name = new StringBuilder(unique ? "ux_" : "ix_");
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                name.Append('_');
            }

            if (fields[i].Descending)
            {
                name.Append('-');
            }

            AppendPath(name, fields[i].Path);
        }

        return name.ToString();
    }

    /// <summary>
    /// The keys of an index <see cref="Name"/> gave, read back (<c>ux_email</c> is <c>email</c>), or null for a name this
    /// type did not make (e.g. <c>unknown</c>, or an index made outside Baas). Used to name the fields of a unique
    /// index violation, whose storage error names only the index.
    /// </summary>
    public static IReadOnlyList<SortField>? FieldsOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length <= 3 || !(name.StartsWith("ix_", StringComparison.Ordinal) || name.StartsWith("ux_", StringComparison.Ordinal)))
        {
            return null;
        }

        var fields = new List<SortField>();
        var i = 3;
        while (true)
        {
            var descending = i < name.Length && name[i] == '-';
            if (descending)
            {
                i++;
            }

            var path = new StringBuilder();
            if (i < name.Length && name[i] == '_')
            {
                // Only a system field's leading '_' is written as is, and a character other than '_' follows it.
                if (i + 1 >= name.Length || name[i + 1] == '_')
                {
                    return null;
                }

                path.Append('_');
                i++;
            }

            for (; i < name.Length && name[i] != '_'; i++)
            {
                if (name[i] != '%')
                {
                    path.Append(name[i]);
                    continue;
                }

                var escaped = i + 2 < name.Length ? name.Substring(i + 1, 2) : string.Empty;
                path.Append(escaped switch
                {
                    "5F" => '_',
                    "25" => '%',
                    "2D" => '-',
                    _ => '\0',
                });
                if (path[^1] == '\0')
                {
                    return null;
                }

                i += 2;
            }

            if (path.Length == 0)
            {
                return null;
            }

            fields.Add(new SortField(path.ToString(), descending));
            if (i >= name.Length)
            {
                return fields;
            }

            i++;
        }
    }

    // Each key reads as: optional '-', optional '_' followed by a character other than '_', then no '_' at all, so
    // the '_' between keys is unambiguous and the name can be split back into exactly one list of keys.
    private static void AppendPath(StringBuilder name, string path)
    {
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            var keepsLeadingUnderscore = i == 0 && c == '_' && path.Length > 1 && path[1] != '_';
            switch (c)
            {
                case '_' when !keepsLeadingUnderscore:
                    name.Append("%5F");
                    break;
                case '%':
                    name.Append("%25");
                    break;
                case '-' when i == 0:
                    name.Append("%2D");
                    break;
                default:
                    name.Append(c);
                    break;
            }
        }
    }
}
