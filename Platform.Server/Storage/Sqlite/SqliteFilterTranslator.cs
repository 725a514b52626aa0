using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Sqlite;

/// <summary>A SQL fragment and the values of its <c>@pN</c> parameters, in order.</summary>
public sealed record SqliteCommandText(string Sql, IReadOnlyList<object> Parameters);

/// <summary>
/// Translates filters, sorts and keyset positions into SQLite SQL over a table <c>(id, version, data)</c>
/// whose <c>data</c> column holds the document's JSON text. Pure: needs no connection.
/// </summary>
/// <remarks>
/// <para>
/// Array semantics are exact but kept cheap with the collection's array paths: the dot paths (array
/// indexes dropped) at which some stored document of the collection has ever held an array. Only
/// conditions under such a path expand arrays with <c>json_each</c>; every other condition compiles to
/// plain <c>rank = r AND value op v</c> terms over <see cref="SqliteSql.Rank"/> and
/// <see cref="SqliteSql.Value"/>, the same expressions user indexes are built on, so SQLite can use them.
/// </para>
/// <para>Deviations from MongoDB, all at the edges:</para>
/// <list type="bullet">
/// <item>Objects and arrays compare (equality, ranges, sort) by their minified JSON text, so
/// <c>{"a": 1}</c> and <c>{"a": 1.0}</c> differ, and field order matters (as in MongoDB).</item>
/// <item>Sorting by a path whose value is an array sorts the array as one value of the array bracket
/// (by JSON text), not by its smallest/largest element; a sort path that passes through an array sorts as missing.
/// Numeric segments in sort and index paths are object keys.</item>
/// <item>A dot path through an array only looks into elements that are objects (and the indexed element for a
/// numeric segment); scalar elements contribute nothing, not a missing value.</item>
/// <item>Field names containing <c>"</c> cannot be addressed in SQLite JSON paths and behave as missing.</item>
/// </list>
/// </remarks>
public sealed class SqliteFilterTranslator
{
    /// <summary>Name of the SQL function registered on every connection for <c>$containsi</c>.</summary>
    public const string ContainsIgnoreCaseFunction = "baas_containsi";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IReadOnlySet<string> _arrayPaths;
    private readonly List<object> _parameters = [];
    private int _aliases;

    private SqliteFilterTranslator(IReadOnlySet<string> arrayPaths) => _arrayPaths = arrayPaths;

    /// <summary>A <c>WHERE</c> condition for <paramref name="filter"/>.</summary>
    public static SqliteCommandText Where(FilterNode filter, IReadOnlySet<string> arrayPaths)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(arrayPaths);
        var translator = new SqliteFilterTranslator(arrayPaths);
        var sql = translator.Node(filter, Scope.TopLevel);
        return new SqliteCommandText(sql, translator._parameters);
    }

    /// <summary><c>SELECT data FROM table WHERE filter AND after ORDER BY sort LIMIT n</c>.</summary>
    public static SqliteCommandText Select(string table, DocumentQuery query, IReadOnlySet<string> arrayPaths)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(arrayPaths);
        var translator = new SqliteFilterTranslator(arrayPaths);
        var sql = new StringBuilder("SELECT data FROM ").Append(SqliteSql.QuoteIdentifier(table));
        var where = translator.Node(query.Filter, Scope.TopLevel);
        var after = query.After is { } position ? translator.After(query.Sort, position) : "1";
        if (where != "1" || after != "1")
        {
            sql.Append(" WHERE ").Append(Wrap(where));
            if (after != "1")
            {
                sql.Append(" AND ").Append(after);
            }
        }

        if (query.Sort.Count > 0)
        {
            sql.Append(" ORDER BY ").Append(OrderBy(query.Sort));
        }

        sql.Append(" LIMIT ").Append(translator.Parameter((long)Math.Max(query.Limit, 0)));
        return new SqliteCommandText(sql.ToString(), translator._parameters);
    }

    /// <summary><c>SELECT COUNT(*) FROM table WHERE filter</c>.</summary>
    public static SqliteCommandText Count(string table, FilterNode filter, IReadOnlySet<string> arrayPaths)
    {
        var where = Where(filter, arrayPaths);
        var sql = "SELECT COUNT(*) FROM " + SqliteSql.QuoteIdentifier(table) + (where.Sql == "1" ? string.Empty : " WHERE " + where.Sql);
        return where with { Sql = sql };
    }

    /// <summary>The <c>ORDER BY</c> list: rank then value per key, each in the key's direction.</summary>
    public static string OrderBy(IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var parts = new List<string>(sort.Count * 2);
        foreach (var field in sort)
        {
            var direction = field.Descending ? " DESC" : " ASC";
            var (rank, value) = SqliteSql.SortKey(field.Path);
            if (field.Path != SystemFields.Id)
            {
                parts.Add(rank + direction);
            }

            parts.Add(value + direction);
        }

        return string.Join(", ", parts);
    }

    /// <summary>Minified JSON in the same escaping the store writes documents with.</summary>
    public static string ToJson(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private string Parameter(object value)
    {
        _parameters.Add(value);
        return "@p" + (_parameters.Count - 1).ToString(CultureInfo.InvariantCulture);
    }

    private string NextAlias() => "j" + (++_aliases).ToString(CultureInfo.InvariantCulture);

    /// <summary>Where paths start: the document root, or an element of an array inside <c>$elemMatch</c>.</summary>
    private readonly record struct Scope(SqliteJsonPath Base, string RegistryPath, bool IsDocumentRoot)
    {
        public static Scope TopLevel { get; } = new(SqliteJsonPath.Root, string.Empty, true);
    }

    private string Node(FilterNode node, Scope scope) => node switch
    {
        MatchAllNode => "1",
        MatchNoneNode => "0",
        AndNode and => Join(and.Children, " AND ", "1", scope),
        OrNode or => Join(or.Children, " OR ", "0", scope),
        NorNode nor => "NOT " + Wrap(Join(nor.Children, " OR ", "0", scope)),
        NotNode not => "NOT " + Wrap(Node(Rebase(not.Condition, not.Path), scope)),
        FieldNode field => Field(field, scope),
        ElemMatchNode elemMatch => ElemMatch(elemMatch, scope),
        _ => throw new NotSupportedException($"Filter node {node.GetType().Name} is not supported."),
    };

    private string Join(IReadOnlyList<FilterNode> children, string separator, string empty, Scope scope)
    {
        if (children.Count == 0)
        {
            return empty;
        }

        if (children.Count == 1)
        {
            return Node(children[0], scope);
        }

        return "(" + string.Join(separator, children.Select(c => Wrap(Node(c, scope)))) + ")";
    }

    private static string Wrap(string sql) => sql is "0" or "1" ? sql : "(" + sql + ")";

    /// <summary>Field-level <c>$not</c> may hold conditions without a path of their own: give them the <c>$not</c>'s path.</summary>
    private static FilterNode Rebase(FilterNode node, string path) => node switch
    {
        FieldNode { Path.Length: 0 } field => field with { Path = path },
        ElemMatchNode { Path.Length: 0 } elemMatch => elemMatch with { Path = path },
        NotNode { Path.Length: 0 } not => new NotNode(path, Rebase(not.Condition, path)),
        AndNode and => new AndNode(and.Children.Select(c => Rebase(c, path)).ToList()),
        OrNode or => new OrNode(or.Children.Select(c => Rebase(c, path)).ToList()),
        NorNode nor => new NorNode(nor.Children.Select(c => Rebase(c, path)).ToList()),
        _ => node,
    };

    private string Field(FieldNode field, Scope scope)
    {
        switch (field.Operator)
        {
            case FieldOperator.Ne:
                return "NOT " + Wrap(Field(field with { Operator = FieldOperator.Eq }, scope));
            case FieldOperator.Nin:
                return "NOT " + Wrap(Field(field with { Operator = FieldOperator.In }, scope));
            case FieldOperator.Exists when field.Value.ValueKind == JsonValueKind.False:
                return "NOT " + Wrap(Path(field.Path, scope, (path, _) => Leaf(path, field.Operator, field.Value)));
            case FieldOperator.All:
                if (field.Value.ValueKind != JsonValueKind.Array || field.Value.GetArrayLength() == 0)
                {
                    return "0";
                }

                return "(" + string.Join(" AND ", field.Value.EnumerateArray().Select(v => Wrap(Field(new FieldNode(field.Path, FieldOperator.Eq, v), scope)))) + ")";
        }

        if (scope.IsDocumentRoot && field.Path == SystemFields.Id)
        {
            return IdLeaf(field.Operator, field.Value);
        }

        var expandsArrays = field.Operator is not (FieldOperator.Exists or FieldOperator.Size);
        return Path(field.Path, scope, (path, mayBeArray) =>
        {
            var whole = Leaf(path, field.Operator, field.Value);
            if (!mayBeArray || !expandsArrays)
            {
                return whole;
            }

            var alias = NextAlias();
            var element = Leaf(SqliteJsonPath.FromFullKey(alias), field.Operator, field.Value);
            return "(" + whole + " OR (" + SqliteSql.JsonType(path) + " IS 'array' AND EXISTS (SELECT 1 FROM json_each(data, " + path.Sql + ") AS " + alias + " WHERE " + element + ")))";
        });
    }

    private string ElemMatch(ElemMatchNode node, Scope scope) => Path(node.Path, scope, (path, _) =>
    {
        var alias = NextAlias();
        var elementPath = SqliteJsonPath.FromFullKey(alias);
        var registryPath = RegistryPathOf(scope, node.Path);
        var inner = Node(node.Condition, new Scope(elementPath, registryPath, false));
        var objectGuard = node.OnElementValue ? string.Empty : alias + ".type = 'object' AND ";
        return "(" + SqliteSql.JsonType(path) + " IS 'array' AND EXISTS (SELECT 1 FROM json_each(data, " + path.Sql + ") AS " + alias + " WHERE " + objectGuard + Wrap(inner) + "))";
    });

    private string RegistryPathOf(Scope scope, string path)
    {
        var registry = scope.RegistryPath;
        if (path.Length == 0)
        {
            return registry;
        }

        foreach (var segment in path.Split('.'))
        {
            // A numeric segment under an array is an index, which the registry drops.
            if (!(IsIndex(segment, out _) && _arrayPaths.Contains(registry)))
            {
                registry = registry.Length == 0 ? segment : registry + "." + segment;
            }
        }

        return registry;
    }

    /// <summary>
    /// Walks <paramref name="dotPath"/> from the scope's base, fanning out over array elements wherever the
    /// registry says an array may be, and applies <paramref name="leaf"/> to every value reached.
    /// </summary>
    private string Path(string dotPath, Scope scope, Func<SqliteJsonPath, bool, string> leaf)
    {
        var segments = dotPath.Length == 0 ? [] : dotPath.Split('.');
        return Step(scope.Base, scope.RegistryPath, segments, 0, false, leaf);
    }

    private string Step(SqliteJsonPath current, string registryPath, string[] segments, int index, bool mayBeArray, Func<SqliteJsonPath, bool, string> leaf)
    {
        if (index == segments.Length)
        {
            return leaf(current, mayBeArray);
        }

        var segment = segments[index];
        var childRegistry = registryPath.Length == 0 ? segment : registryPath + "." + segment;
        var asKey = Step(current.Key(segment), childRegistry, segments, index + 1, _arrayPaths.Contains(childRegistry), leaf);
        if (!mayBeArray)
        {
            return asKey;
        }

        // The value here is an array in some documents: match through its object elements, or, for a
        // numeric segment, through the indexed element; otherwise treat the segment as a key.
        var alias = NextAlias();
        var type = SqliteSql.JsonType(current);
        var throughElements = "EXISTS (SELECT 1 FROM json_each(data, " + current.Sql + ") AS " + alias + " WHERE " + alias + ".type = 'object' AND "
            + Wrap(Step(SqliteJsonPath.FromFullKey(alias).Key(segment), childRegistry, segments, index + 1, _arrayPaths.Contains(childRegistry), leaf)) + ")";
        if (IsIndex(segment, out var position))
        {
            throughElements = Wrap(Step(current.Index(position), registryPath, segments, index + 1, _arrayPaths.Contains(registryPath), leaf)) + " OR " + throughElements;
        }

        return "((" + type + " IS NOT 'array' AND " + Wrap(asKey) + ") OR (" + type + " IS 'array' AND (" + throughElements + ")))";
    }

    private static bool IsIndex(string segment, out int index)
    {
        index = 0;
        return segment.Length is > 0 and < 10 && segment.All(char.IsAsciiDigit) && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>An operand as (rank, SQL value expression).</summary>
    private (int Rank, string Sql) Operand(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => (SqliteSql.RankNull, "0"),
        JsonValueKind.Number => (SqliteSql.RankNumber, Parameter(value.TryGetInt64(out var l) ? l : (object)value.GetDouble())),
        JsonValueKind.String => (SqliteSql.RankString, Parameter(value.GetString()!)),
        JsonValueKind.True => (SqliteSql.RankBoolean, "1"),
        JsonValueKind.False => (SqliteSql.RankBoolean, "0"),
        JsonValueKind.Object => (SqliteSql.RankObject, "json(" + Parameter(ToJson(value)) + ")"),
        JsonValueKind.Array => (SqliteSql.RankArray, "json(" + Parameter(ToJson(value)) + ")"),
        _ => throw new ArgumentException($"Unsupported operand kind {value.ValueKind}.", nameof(value)),
    };

    /// <summary>The condition on one value (no array expansion).</summary>
    private string Leaf(SqliteJsonPath path, FieldOperator op, JsonElement operand)
    {
        var rank = SqliteSql.Rank(path);
        var value = SqliteSql.Value(path);
        // Repeating json_type(...) IS NOT NULL lets SQLite use partial (unique) indexes on the path.
        var present = SqliteSql.JsonType(path) + " IS NOT NULL AND ";
        switch (op)
        {
            case FieldOperator.Eq:
            {
                var (r, v) = Operand(operand);
                return r == SqliteSql.RankNull ? rank + " = 1" : "(" + present + rank + " = " + Rank(r) + " AND " + value + " = " + v + ")";
            }

            case FieldOperator.Gt or FieldOperator.Gte or FieldOperator.Lt or FieldOperator.Lte:
            {
                var (r, v) = Operand(operand);
                if (r == SqliteSql.RankNull)
                {
                    return op is FieldOperator.Gte or FieldOperator.Lte ? rank + " = 1" : "0";
                }

                return "(" + present + rank + " = " + Rank(r) + " AND " + value + " " + Comparison(op) + " " + v + ")";
            }

            case FieldOperator.In:
                return In(operand, rank, value, present);

            case FieldOperator.Exists:
                return SqliteSql.JsonType(path) + " IS NOT NULL";

            case FieldOperator.Size:
                return "(" + SqliteSql.JsonType(path) + " IS 'array' AND json_array_length(data, " + path.Sql + ") = " + Parameter(operand.GetInt64()) + ")";

            case FieldOperator.StartsWith:
            {
                if (operand.ValueKind != JsonValueKind.String)
                {
                    return "0";
                }

                var prefix = operand.GetString()!;
                var p = Parameter(prefix);
                var upper = SqliteSql.PrefixUpperBound(prefix);
                // The range keeps an index usable; substr keeps the match exact.
                return "(" + present + rank + " = 3 AND " + value + " >= " + p
                    + (upper is null ? string.Empty : " AND " + value + " < " + Parameter(upper))
                    + " AND substr(" + value + ", 1, " + Parameter((long)SqliteSql.CodePointCount(prefix)) + ") = " + p + ")";
            }

            case FieldOperator.Contains:
                return operand.ValueKind != JsonValueKind.String ? "0" : "(" + rank + " = 3 AND instr(" + value + ", " + Parameter(operand.GetString()!) + ") > 0)";

            case FieldOperator.ContainsIgnoreCase:
                return operand.ValueKind != JsonValueKind.String ? "0" : "(" + rank + " = 3 AND " + ContainsIgnoreCaseFunction + "(" + value + ", " + Parameter(operand.GetString()!) + "))";

            default:
                throw new NotSupportedException($"Operator {op} is not supported here.");
        }
    }

    private string In(JsonElement operand, string rank, string value, string present)
    {
        if (operand.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("$in/$nin need an array.", nameof(operand));
        }

        var byRank = new SortedDictionary<int, List<string>>();
        foreach (var item in operand.EnumerateArray())
        {
            var (r, v) = Operand(item);
            if (!byRank.TryGetValue(r, out var list))
            {
                byRank[r] = list = [];
            }

            list.Add(v);
        }

        var parts = byRank.Select(kv => kv.Key == SqliteSql.RankNull
            ? rank + " = 1"
            : "(" + present + rank + " = " + Rank(kv.Key) + " AND " + value + (kv.Value.Count == 1 ? " = " + kv.Value[0] : " IN (" + string.Join(", ", kv.Value) + ")") + ")").ToList();
        return parts.Count switch
        {
            0 => "0",
            1 => parts[0],
            _ => "(" + string.Join(" OR ", parts) + ")",
        };
    }

    /// <summary><c>_id</c> lives in its own column (always a string), so conditions on it use the primary key.</summary>
    private string IdLeaf(FieldOperator op, JsonElement operand)
    {
        switch (op)
        {
            case FieldOperator.Eq:
                return operand.ValueKind == JsonValueKind.String ? "id = " + Parameter(operand.GetString()!) : "0";
            case FieldOperator.Gt or FieldOperator.Gte or FieldOperator.Lt or FieldOperator.Lte:
                return operand.ValueKind == JsonValueKind.String ? "id " + Comparison(op) + " " + Parameter(operand.GetString()!) : "0";
            case FieldOperator.In:
                var ids = operand.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => Parameter(v.GetString()!)).ToList();
                return ids.Count == 0 ? "0" : "id IN (" + string.Join(", ", ids) + ")";
            case FieldOperator.Exists:
                return "1";
            case FieldOperator.Size:
                return "0";
            case FieldOperator.StartsWith when operand.ValueKind == JsonValueKind.String:
                var prefix = operand.GetString()!;
                return "substr(id, 1, " + Parameter((long)SqliteSql.CodePointCount(prefix)) + ") = " + Parameter(prefix);
            case FieldOperator.Contains when operand.ValueKind == JsonValueKind.String:
                return "instr(id, " + Parameter(operand.GetString()!) + ") > 0";
            case FieldOperator.ContainsIgnoreCase when operand.ValueKind == JsonValueKind.String:
                return ContainsIgnoreCaseFunction + "(id, " + Parameter(operand.GetString()!) + ")";
            default:
                return "0";
        }
    }

    private static string Rank(int rank) => rank.ToString(CultureInfo.InvariantCulture);

    private static string Comparison(FieldOperator op) => op switch
    {
        FieldOperator.Gt => ">",
        FieldOperator.Gte => ">=",
        FieldOperator.Lt => "<",
        _ => "<=",
    };

    /// <summary>Strictly after the keyset position, in sort order.</summary>
    private string After(IReadOnlyList<SortField> sort, IReadOnlyList<JsonElement> position)
    {
        if (position.Count != sort.Count)
        {
            throw new ArgumentException("The keyset position needs one value per sort key.", nameof(position));
        }

        // Each key contributes (rank, value) columns, or just the value for _id.
        var columns = new List<(string Column, string Operand, bool Descending)>();
        for (var i = 0; i < sort.Count; i++)
        {
            var (rankSql, valueSql) = SqliteSql.SortKey(sort[i].Path);
            var (rank, operand) = Operand(position[i]);
            if (sort[i].Path == SystemFields.Id)
            {
                columns.Add((valueSql, rank == SqliteSql.RankString ? operand : Parameter(string.Empty), sort[i].Descending));
                continue;
            }

            columns.Add((rankSql, Rank(rank), sort[i].Descending));
            columns.Add((valueSql, operand, sort[i].Descending));
        }

        if (columns.All(c => c.Descending == columns[0].Descending))
        {
            // A row value lets SQLite seek an index on the same columns.
            return "(" + string.Join(", ", columns.Select(c => c.Column)) + ") " + (columns[0].Descending ? "<" : ">")
                + " (" + string.Join(", ", columns.Select(c => c.Operand)) + ")";
        }

        var chain = new List<string>();
        for (var i = 0; i < columns.Count; i++)
        {
            var equalPrefix = columns.Take(i).Select(c => c.Column + " = " + c.Operand);
            var strict = columns[i].Column + (columns[i].Descending ? " < " : " > ") + columns[i].Operand;
            chain.Add("(" + string.Join(" AND ", equalPrefix.Append(strict)) + ")");
        }

        return "(" + string.Join(" OR ", chain) + ")";
    }
}
