using System.Text.Json;
using MongoDB.Bson;
using Platform.Server.Common;

namespace Platform.Server.Storage.Mongo;

/// <summary>The pieces of a MongoDB find: filter (with the keyset position folded in), sort, limit and the projection of <see cref="DocumentQuery.Fields"/> (null for whole documents).</summary>
internal sealed record MongoFind(BsonDocument Filter, BsonDocument Sort, int Limit, BsonDocument? Projection = null);

/// <summary>
/// Translates sorts and keyset positions. MongoDB sorts mixed types in the order
/// missing/null &lt; numbers &lt; strings &lt; objects &lt; arrays &lt; booleans, but its comparison
/// operators only match values of the operand's own type. "Strictly after (v1, ..., vn)" is therefore
/// written per key as: same type and greater, or any type that sorts later (<c>$type</c>), or equal
/// and after on the next key.
/// </summary>
internal static class MongoQueryTranslator
{
    // The $type aliases of the JSON type brackets, in MongoDB's sort order. Null is reached with
    // {f: null}, which also matches a missing field, as the sort does.
    private static readonly string[] BracketTypes = [string.Empty, "number", "string", "object", "array", "bool"];

    public static MongoFind Translate(DocumentQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Limit);
        var filter = MongoFilterTranslator.Translate(query.Filter);
        if (query.After is { } after)
        {
            var keyset = After(query.Sort, after);
            filter = filter.ElementCount == 0 ? keyset : new BsonDocument("$and", new BsonArray { filter, keyset });
        }

        return new MongoFind(filter, Sort(query.Sort), query.Limit, query.Fields is { } fields ? Projection(fields) : null);
    }

    /// <summary>An inclusion projection of these fields; <c>_id</c> is always in it (MongoDB includes it unless told not to).</summary>
    public static BsonDocument Projection(IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var projection = new BsonDocument(SystemFields.Id, 1);
        foreach (var field in fields)
        {
            projection[field] = 1;
        }

        return projection;
    }

    public static BsonDocument Sort(IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var result = new BsonDocument();
        foreach (var field in sort)
        {
            var path = MongoFilterTranslator.CheckPath(field.Path);
            if (result.Contains(path))
            {
                throw new ArgumentException($"The sort names '{path}' twice.", nameof(sort));
            }

            result.Add(path, field.Descending ? -1 : 1);
        }

        return result;
    }

    /// <summary>
    /// The read that finds a document making keyset paging over the query's sort unsafe (the query's filter and an
    /// array at a sort path, <see cref="ArraysOnSort"/>), or null when none is needed: the page cannot be followed by
    /// another (<see cref="KeysetArrays.MayPage"/>), the sort has only system fields, or the collection is one of the
    /// server's own (<c>_function_runs</c>, <c>_audit</c>, <c>_function_versions</c>, ...). Those hold only what the server
    /// writes, and it sorts them by fields it writes as scalars (<c>startedAt</c>, <c>function</c>, <c>at</c>, <c>name</c>),
    /// so the probe could never find anything, while on MongoDB it costs a scan of every document the filter matches (no
    /// index answers <c>$type: "array"</c>): each page of a function's runs read all its later runs again, and each step
    /// of the retention pass's walk over function names (a page of one) every later run. SQLite skips the probe for
    /// them too, knowing no document there ever held an array at those paths.
    /// </summary>
    public static BsonDocument? ArrayProbe(string collection, DocumentQuery query, int returned)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(query);
        if (!KeysetArrays.MayPage(query, returned) || !MongoChangeStream.IsUserCollection(collection) || ArraysOnSort(query.Sort) is not { } arrays)
        {
            return null;
        }

        var filter = MongoFilterTranslator.Translate(query.Filter);
        return filter.ElementCount == 0 ? arrays : new BsonDocument("$and", new BsonArray { filter, arrays });
    }

    /// <summary>
    /// A filter for documents holding an array on a path that breaks keyset paging over <paramref name="sort"/>
    /// (<see cref="KeysetArrays.Candidates"/>); null when the sort has no such path (only system fields).
    /// </summary>
    public static BsonDocument? ArraysOnSort(IReadOnlyList<SortField> sort)
    {
        var conditions = KeysetArrays.Candidates(sort).Select(path => TypeCondition(MongoFilterTranslator.CheckPath(path), ["array"])).ToList();
        return conditions.Count switch
        {
            0 => null,
            1 => conditions[0],
            _ => new BsonDocument("$or", new BsonArray(conditions)),
        };
    }

    /// <summary>The first of the candidate paths at which <paramref name="document"/> (a probe's hit) holds an array.</summary>
    public static string? ArrayPathIn(BsonDocument document, IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(document);
        foreach (var candidate in KeysetArrays.Candidates(sort))
        {
            BsonValue current = document;
            foreach (var segment in candidate.Split('.'))
            {
                current = current switch
                {
                    BsonDocument nested when nested.TryGetValue(segment, out var value) => value,
                    BsonArray array when int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                    _ => BsonNull.Value,
                };
            }

            if (current is BsonArray)
            {
                return KeysetArrays.SortPathOf(sort, candidate);
            }
        }

        return null;
    }

    /// <summary>A filter for the documents strictly after <paramref name="after"/> in <paramref name="sort"/> order.</summary>
    public static BsonDocument After(IReadOnlyList<SortField> sort, IReadOnlyList<JsonElement> after)
    {
        ArgumentNullException.ThrowIfNull(sort);
        ArgumentNullException.ThrowIfNull(after);
        if (sort.Count == 0 || after.Count != sort.Count)
        {
            throw new ArgumentException($"A keyset position needs one value per sort key ({sort.Count}), not {after.Count}.", nameof(after));
        }

        // (k1 > v1) or (k1 = v1 and k2 > v2) or ...: one branch per key, each fixing the keys before it.
        var branches = new BsonArray();
        var equalities = new List<BsonDocument>();
        for (var i = 0; i < sort.Count; i++)
        {
            var path = MongoFilterTranslator.CheckPath(sort[i].Path);
            BsonValue value;
            try
            {
                value = MongoFilterTranslator.Operand(after[i]);
            }
            catch (InvalidInputException)
            {
                // Keyset values come from a cursor the client sends back; this one was not ours.
                throw new InvalidInputException("invalid_cursor", "The cursor is not one this server issued.", "cursor");
            }

            var beyond = Beyond(path, value, sort[i].Descending);
            if (beyond.Count > 0)
            {
                if (equalities.Count == 0)
                {
                    branches.AddRange(beyond);
                }
                else
                {
                    var all = new BsonArray(equalities);
                    all.Add(beyond.Count == 1 ? beyond[0] : new BsonDocument("$or", new BsonArray(beyond)));
                    branches.Add(new BsonDocument("$and", all));
                }
            }

            equalities.Add(new BsonDocument(path, new BsonDocument("$eq", value)));
        }

        return branches.Count switch
        {
            0 => MongoFilterTranslator.MatchNothing(),
            1 => branches[0].AsBsonDocument,
            _ => new BsonDocument("$or", branches),
        };
    }

    /// <summary>Alternatives for "the key at <paramref name="path"/> sorts strictly after <paramref name="value"/>".</summary>
    private static List<BsonDocument> Beyond(string path, BsonValue value, bool descending)
    {
        var bracket = Bracket(value);
        var result = new List<BsonDocument>();

        // _id is always a string (the service writes it), so the type brackets around it are empty;
        // leaving them out keeps the branch a plain index range.
        var onlyStrings = path == SystemFields.Id && bracket == 2;

        if (!descending)
        {
            // Within the bracket: nothing beyond null (only null and missing are in it) or beyond true.
            if (bracket != 0 && !(value is BsonBoolean { Value: true }))
            {
                result.Add(new BsonDocument(path, new BsonDocument("$gt", value)));
            }

            if (!onlyStrings && bracket < BracketTypes.Length - 1)
            {
                result.Add(TypeCondition(path, BracketTypes[(bracket + 1)..]));
            }
        }
        else
        {
            if (bracket == 0)
            {
                return result;
            }

            if (!(value is BsonBoolean { Value: false }))
            {
                result.Add(new BsonDocument(path, new BsonDocument("$lt", value)));
            }

            if (!onlyStrings)
            {
                if (bracket > 1)
                {
                    result.Add(TypeCondition(path, BracketTypes[1..bracket]));
                }

                result.Add(new BsonDocument(path, new BsonDocument("$eq", BsonNull.Value)));
            }
        }

        return result;
    }

    private static BsonDocument TypeCondition(string path, string[] types) =>
        new(path, new BsonDocument("$type", types.Length == 1 ? new BsonString(types[0]) : new BsonArray(types)));

    private static int Bracket(BsonValue value) => value.BsonType switch
    {
        BsonType.Null => 0,
        BsonType.Int32 or BsonType.Int64 or BsonType.Double => 1,
        BsonType.String => 2,
        BsonType.Document => 3,
        BsonType.Array => 4,
        BsonType.Boolean => 5,
        _ => throw new NotSupportedException($"A keyset value of BSON type {value.BsonType} is not supported."),
    };
}
