using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Sqlite;

/// <summary>A SQL fragment and the values of its <c>@pN</c> parameters, in order.</summary>
public sealed record SqliteCommandText(string Sql, IReadOnlyList<object> Parameters);

/// <summary>A query for a document holding an array on one of <see cref="Candidates"/> (one 0/1 column per candidate after the id).</summary>
public sealed record SqliteArrayProbe(SqliteCommandText Command, IReadOnlyList<string> Candidates);

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
/// <item>Filters compare objects and arrays as MongoDB does (field by field, numbers by value, through a
/// registered function, so such conditions cannot use an index), but sorting orders objects among themselves
/// and arrays among themselves by their minified JSON text (the type brackets are still MongoDB's).</item>
/// <item>Sorting by a path whose value is an array sorts the array as one value of the array bracket,
/// not by its smallest/largest element; a sort path that passes through an array sorts as missing.
/// A numeric segment in a sort path indexes an array, as the cursor's <see cref="JsonValueOrder.GetSortValue"/> does.</item>
/// <item>As in <see cref="FilterMatcher"/>: a dot path through an array continues into its object elements only
/// (scalar elements contribute nothing, not a missing value), and a numeric segment on an array only indexes it.</item>
/// <item>Field names containing <c>"</c> cannot be addressed in SQLite JSON paths and behave as missing.</item>
/// </list>
/// </remarks>
public sealed class SqliteFilterTranslator
{
    /// <summary>Name of the SQL function registered on every connection for <c>$containsi</c>.</summary>
    public const string ContainsIgnoreCaseFunction = "baas_containsi";

    /// <summary>
    /// Name of the SQL function registered on every connection that compares two JSON texts in
    /// <see cref="JsonValueOrder"/> (objects field by field, numbers by value), for object and array operands.
    /// </summary>
    public const string JsonCompareFunction = "baas_json_cmp";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly IReadOnlySet<string> NoPresenceTerms = new HashSet<string>();

    private readonly IReadOnlySet<string> _arrayPaths;
    private readonly IReadOnlySet<string> _presenceTerms;
    private readonly List<object> _parameters = [];
    private int _aliases;

    private SqliteFilterTranslator(IReadOnlySet<string> arrayPaths, IReadOnlySet<string>? presenceTerms)
    {
        _arrayPaths = arrayPaths;
        _presenceTerms = presenceTerms ?? NoPresenceTerms;
    }

    /// <summary>A <c>WHERE</c> condition for <paramref name="filter"/>.</summary>
    /// <param name="filter">The filter.</param>
    /// <param name="arrayPaths">Paths where some document has held an array.</param>
    /// <param name="presenceTerms">The presence terms of the collection's partial unique indexes (see the store).</param>
    public static SqliteCommandText Where(FilterNode filter, IReadOnlySet<string> arrayPaths, IReadOnlySet<string>? presenceTerms = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(arrayPaths);
        var translator = new SqliteFilterTranslator(arrayPaths, presenceTerms);
        var sql = translator.Node(filter, Scope.TopLevel);
        return new SqliteCommandText(sql, translator._parameters);
    }

    /// <summary><c>SELECT data FROM table WHERE filter AND after ORDER BY sort LIMIT n</c>.</summary>
    public static SqliteCommandText Select(string table, DocumentQuery query, IReadOnlySet<string> arrayPaths, IReadOnlySet<string>? presenceTerms = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(arrayPaths);
        var translator = new SqliteFilterTranslator(arrayPaths, presenceTerms);
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
            sql.Append(" ORDER BY ").Append(OrderBy(query.Sort, translator.PinnedKeys(query.Filter)));
        }

        sql.Append(" LIMIT ").Append(translator.Parameter((long)Math.Max(query.Limit, 0)));
        return new SqliteCommandText(sql.ToString(), translator._parameters);
    }

    /// <summary>
    /// <c>SELECT id, (candidate is an array)... FROM table WHERE filter AND (some candidate is an array) LIMIT 1</c>: finds a
    /// document that makes keyset paging over <paramref name="sort"/> inexact (<see cref="KeysetArrays"/>). Null when no
    /// document of the collection ever held an array on a candidate path (the recorded array paths), so nothing need be read.
    /// </summary>
    public static SqliteArrayProbe? ArrayProbe(string table, FilterNode filter, IReadOnlyList<SortField> sort, IReadOnlySet<string> arrayPaths, IReadOnlySet<string>? presenceTerms = null)
    {
        ArgumentNullException.ThrowIfNull(sort);
        ArgumentNullException.ThrowIfNull(arrayPaths);
        if (arrayPaths.Count == 0)
        {
            // Most collections never held an array: every full page asks, so answer before building the candidates.
            return null;
        }

        var candidates = KeysetArrays.Candidates(sort).Where(c => arrayPaths.Contains(WithoutIndexes(c))).ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var where = Where(filter, arrayPaths, presenceTerms);
        var tests = candidates.Select(c => SqliteSql.JsonType(SqliteSql.SortPath(c)) + " = 'array'").ToList();
        var sql = "SELECT id, " + string.Join(", ", tests) + " FROM " + SqliteSql.QuoteIdentifier(table)
            + " WHERE " + (where.Sql == "1" ? string.Empty : Wrap(where.Sql) + " AND ") + "(" + string.Join(" OR ", tests) + ") LIMIT 1";
        return new SqliteArrayProbe(where with { Sql = sql }, candidates);
    }

    // The store records array paths with element indexes dropped (elements share their array's path).
    private static string WithoutIndexes(string path) =>
        string.Join('.', path.Split('.').Where(s => !(s.Length is > 0 and < 10 && s.All(char.IsAsciiDigit))));

    /// <summary><c>SELECT COUNT(*) FROM table WHERE filter</c>.</summary>
    public static SqliteCommandText Count(string table, FilterNode filter, IReadOnlySet<string> arrayPaths, IReadOnlySet<string>? presenceTerms = null)
    {
        var where = Where(filter, arrayPaths, presenceTerms);
        var sql = "SELECT COUNT(*) FROM " + SqliteSql.QuoteIdentifier(table) + (where.Sql == "1" ? string.Empty : " WHERE " + where.Sql);
        return where with { Sql = sql };
    }

    /// <summary>The <c>ORDER BY</c> list: rank then value per key, each in the key's direction.</summary>
    public static string OrderBy(IReadOnlyList<SortField> sort) => OrderBy(sort, new Dictionary<string, bool>());

    /// <summary>
    /// Leaves out the terms the filter fixes (a rank pinned by a typed condition, a value pinned by equality):
    /// SQLite does not notice that an equality-constrained expression is constant and would sort in a temp
    /// B-tree instead of reading the index in order.
    /// </summary>
    private static string OrderBy(IReadOnlyList<SortField> sort, Dictionary<string, bool> pinned)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var parts = new List<string>(sort.Count * 2);
        foreach (var field in sort)
        {
            var direction = field.Descending ? " DESC" : " ASC";
            var (rank, value) = SqliteSql.SortKey(field.Path);
            var isPinned = pinned.TryGetValue(field.Path, out var valuePinned);
            if (field.Path != SystemFields.Id && !isPinned)
            {
                parts.Add(rank + direction);
            }

            if (!valuePinned)
            {
                parts.Add(value + direction);
            }
        }

        return parts.Count == 0 ? "id ASC" : string.Join(", ", parts);
    }

    /// <summary>Paths whose rank every match shares (value too when true), from the filter's top-level conjuncts.</summary>
    private Dictionary<string, bool> PinnedKeys(FilterNode filter)
    {
        var pinned = new Dictionary<string, bool>(StringComparer.Ordinal);
        var conjuncts = filter is AndNode and ? and.Children : [filter];
        foreach (var node in conjuncts)
        {
            if (node is not FieldNode field || field.Path == SystemFields.Id || !IsPlainPath(field.Path))
            {
                continue;
            }

            var valuePinned = false;
            switch (field.Operator)
            {
                case FieldOperator.Eq when RankOf(field.Value) != SqliteSql.RankNull:
                    valuePinned = field.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);
                    break;
                case FieldOperator.Gt or FieldOperator.Gte or FieldOperator.Lt or FieldOperator.Lte when RankOf(field.Value) != SqliteSql.RankNull:
                case FieldOperator.StartsWith or FieldOperator.Contains or FieldOperator.ContainsIgnoreCase:
                    break;
                case FieldOperator.In when field.Value.GetArrayLength() > 0 && field.Value.EnumerateArray().Select(RankOf).Distinct().Count() == 1 && RankOf(field.Value[0]) != SqliteSql.RankNull:
                    break;
                default:
                    continue;
            }

            pinned[field.Path] = valuePinned || (pinned.TryGetValue(field.Path, out var before) && before);
        }

        return pinned;
    }

    /// <summary>True when no document has held an array anywhere along the path, so conditions on it are plain expressions.</summary>
    private bool IsPlainPath(string dotPath)
    {
        var registry = string.Empty;
        foreach (var segment in dotPath.Split('.'))
        {
            registry = registry.Length == 0 ? segment : registry + "." + segment;
            if (_arrayPaths.Contains(registry))
            {
                return false;
            }
        }

        return true;
    }

    private static int RankOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => SqliteSql.RankNull,
        JsonValueKind.Number => SqliteSql.RankNumber,
        JsonValueKind.String => SqliteSql.RankString,
        JsonValueKind.Object => SqliteSql.RankObject,
        JsonValueKind.Array => SqliteSql.RankArray,
        _ => SqliteSql.RankBoolean,
    };

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
    private readonly record struct Scope(SqliteJsonPath Base, string RegistryPath, bool IsDocumentRoot, string? ElementAlias = null)
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
                return "NOT " + Wrap(Path(field.Path, scope, (path, _) => Leaf(ValueRef.At(path), field.Operator, field.Value)));
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

        if (field.Path.Length == 0 && scope.ElementAlias is { } elementAlias)
        {
            // $elemMatch on element values: the condition applies to the element itself, not to its elements.
            return Leaf(ValueRef.Element(elementAlias), field.Operator, field.Value);
        }

        var expandsArrays = field.Operator is not (FieldOperator.Exists or FieldOperator.Size);
        return Path(field.Path, scope, (path, mayBeArray) =>
        {
            var whole = Leaf(ValueRef.At(path), field.Operator, field.Value);
            if (!mayBeArray || !expandsArrays)
            {
                return whole;
            }

            var alias = NextAlias();
            var element = Leaf(ValueRef.Element(alias), field.Operator, field.Value);
            return "(" + whole + " OR (" + SqliteSql.JsonType(path) + " IS 'array' AND EXISTS (SELECT 1 FROM json_each(" + path.Document + ", " + path.Sql + ") AS " + alias + " WHERE " + element + ")))";
        });
    }

    private string ElemMatch(ElemMatchNode node, Scope scope) => Path(node.Path, scope, (path, _) =>
    {
        var alias = NextAlias();
        var elementPath = SqliteJsonPath.InElement(alias);
        var registryPath = RegistryPathOf(scope, node.Path);
        var inner = Node(node.Condition, new Scope(elementPath, registryPath, false, alias));
        var objectGuard = node.OnElementValue ? string.Empty : alias + ".type = 'object' AND ";
        return "(" + SqliteSql.JsonType(path) + " IS 'array' AND EXISTS (SELECT 1 FROM json_each(" + path.Document + ", " + path.Sql + ") AS " + alias + " WHERE " + objectGuard + Wrap(inner) + "))";
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

        // The value here is an array in some documents: a numeric segment indexes it, any other segment
        // continues into every element that is an object; a non-array value takes the segment as a key.
        var type = SqliteSql.JsonType(current);
        string throughElements;
        if (IsIndex(segment, out var position))
        {
            throughElements = Step(current.Index(position), registryPath, segments, index + 1, _arrayPaths.Contains(registryPath), leaf);
        }
        else
        {
            var alias = NextAlias();
            throughElements = "EXISTS (SELECT 1 FROM json_each(" + current.Document + ", " + current.Sql + ") AS " + alias + " WHERE " + alias + ".type = 'object' AND "
                + Wrap(Step(SqliteJsonPath.InElement(alias).Key(segment), childRegistry, segments, index + 1, _arrayPaths.Contains(childRegistry), leaf)) + ")";
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
        JsonValueKind.Object => (SqliteSql.RankObject, Parameter(ToJson(value))),
        JsonValueKind.Array => (SqliteSql.RankArray, Parameter(ToJson(value))),
        _ => throw new ArgumentException($"Unsupported operand kind {value.ValueKind}.", nameof(value)),
    };

    /// <summary>
    /// SQL for one value: at a JSON path (the expressions indexes are built on), or a <c>json_each</c> row
    /// read through its own <c>type</c>/<c>value</c> columns, which avoids re-resolving a path per element.
    /// </summary>
    private readonly record struct ValueRef(string Type, string Rank, string Value, string ArrayLength)
    {
        public static ValueRef At(SqliteJsonPath path) =>
            new(SqliteSql.JsonType(path), SqliteSql.Rank(path), SqliteSql.Value(path), "json_array_length(" + path.Document + ", " + path.Sql + ")");

        public static ValueRef Element(string alias) =>
            new(
                alias + ".type",
                "CASE " + alias + ".type WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'object' THEN 4 WHEN 'array' THEN 5 WHEN 'true' THEN 6 WHEN 'false' THEN 6 ELSE 1 END",
                "IFNULL(" + alias + ".value, 0)",
                "json_array_length(" + alias + ".value)");
    }

    /// <summary>The condition on one value (no array expansion).</summary>
    private string Leaf(ValueRef target, FieldOperator op, JsonElement operand)
    {
        var rank = target.Rank;
        var value = target.Value;
        // The rank already implies presence. Repeating json_type(...) IS NOT NULL only pays where a partial unique
        // index has exactly that term (SQLite then may use it); elsewhere it would cost a row read per index entry.
        var presenceTerm = target.Type + " IS NOT NULL";
        var present = _presenceTerms.Contains(presenceTerm) ? presenceTerm + " AND " : string.Empty;
        switch (op)
        {
            case FieldOperator.Eq:
            {
                var (r, v) = Operand(operand);
                return r == SqliteSql.RankNull ? rank + " = 1" : "(" + present + rank + " = " + Rank(r) + " AND " + Compare(r, value, "=", v) + ")";
            }

            case FieldOperator.Gt or FieldOperator.Gte or FieldOperator.Lt or FieldOperator.Lte:
            {
                var (r, v) = Operand(operand);
                if (r == SqliteSql.RankNull)
                {
                    return op is FieldOperator.Gte or FieldOperator.Lte ? rank + " = 1" : "0";
                }

                return "(" + present + rank + " = " + Rank(r) + " AND " + Compare(r, value, Comparison(op), v) + ")";
            }

            case FieldOperator.In:
                return In(operand, rank, value, present);

            case FieldOperator.Exists:
                return target.Type + " IS NOT NULL";

            case FieldOperator.Size:
                return "(" + target.Type + " IS 'array' AND " + target.ArrayLength + " = " + Parameter(operand.GetInt64()) + ")";

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

        var parts = byRank.Select(kv => kv.Key switch
        {
            SqliteSql.RankNull => rank + " = 1",
            SqliteSql.RankObject or SqliteSql.RankArray =>
                "(" + present + rank + " = " + Rank(kv.Key) + " AND (" + string.Join(" OR ", kv.Value.Select(v => Compare(kv.Key, value, "=", v))) + "))",
            _ => "(" + present + rank + " = " + Rank(kv.Key) + " AND " + value + (kv.Value.Count == 1 ? " = " + kv.Value[0] : " IN (" + string.Join(", ", kv.Value) + ")") + ")",
        }).ToList();
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

    /// <summary>Scalars compare natively (index-friendly); objects and arrays through <see cref="JsonCompareFunction"/>.</summary>
    private static string Compare(int rank, string value, string op, string operand) =>
        rank is SqliteSql.RankObject or SqliteSql.RankArray
            ? JsonCompareFunction + "(" + value + ", " + operand + ") " + op + " 0"
            : value + " " + op + " " + operand;

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
            // Sorting orders objects and arrays by SQLite's minified JSON text, so the position must use the same text.
            columns.Add((valueSql, rank is SqliteSql.RankObject or SqliteSql.RankArray ? "json(" + operand + ")" : operand, sort[i].Descending));
        }

        if (columns.All(c => c.Descending == columns[0].Descending))
        {
            // SQLite does not seek on a row value over index expressions, so the redundant bound on the
            // first key lets it start the index scan at the position instead of the beginning.
            var op = columns[0].Descending ? "<" : ">";
            return "(" + columns[0].Column + " " + op + "= " + columns[0].Operand + " AND (" + string.Join(", ", columns.Select(c => c.Column)) + ") " + op
                + " (" + string.Join(", ", columns.Select(c => c.Operand)) + "))";
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
