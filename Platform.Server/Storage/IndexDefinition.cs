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
