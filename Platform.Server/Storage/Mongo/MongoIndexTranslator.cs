using MongoDB.Bson;
using MongoDB.Driver;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// What <see cref="IDocumentStore.ApplyIndexesAsync"/> has to do: build the missing indexes, then drop
/// the stale ones, so a build that fails on existing data leaves the previous indexes in force.
/// </summary>
/// <param name="Drop">Names of our indexes that are no longer wanted.</param>
/// <param name="Create">Missing indexes, each with its position in the requested list.</param>
internal sealed record MongoIndexPlan(IReadOnlyList<string> Drop, IReadOnlyList<(int Position, IndexDefinition Index)> Create)
{
    /// <summary>Stale indexes (also in <see cref="Drop"/>) that hold the name of an index to create: dropped before the builds.</summary>
    public IReadOnlyList<string> DropFirst { get; init; } = [];
}

/// <summary>An index a collection has, as <c>listIndexes</c> reports it.</summary>
internal sealed record MongoExistingIndex(string Name, BsonDocument Keys, bool Unique = false, BsonDocument? PartialFilter = null);

/// <summary>Translates index definitions into MongoDB indexes.</summary>
internal static class MongoIndexTranslator
{
    /// <summary>Indexes with these prefixes are ours to drop; anything else (<c>_id_</c>, an operator's own) is left alone.</summary>
    public static bool IsManaged(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith("ix_", StringComparison.Ordinal) || name.StartsWith("ux_", StringComparison.Ordinal);
    }

    /// <summary>
    /// The index the provider builds for <paramref name="index"/>. Keyset pages sort by the requested fields and then
    /// by <c>_id</c> ascending (<c>DocumentQueryService.WithIdTiebreak</c>), so a non-unique index that does not name
    /// <c>_id</c> gets it as its last key, ascending: a page filtered by equality on the leading keys and sorted by the
    /// rest in the index's directions is then one IXSCAN without a SORT stage (a blocking SORT fails past 100 MB on a
    /// large collection). Indexes whose queries tie-break on <c>_id</c> the other way name it themselves
    /// (<c>_audit</c>, <c>_function_runs</c>). Unique indexes are left as they are: <c>_id</c> would make every key unique
    /// and so drop the constraint, they are partial (documents without the field are not in them), so they cannot serve
    /// a sort over a whole collection anyway, and an equality lookup on one finds at most one document.
    /// </summary>
    public static IndexDefinition Served(IndexDefinition index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return index.Unique || index.Fields.Any(field => field.Path == SystemFields.Id)
            ? index
            : index with { Fields = [.. index.Fields, new SortField(SystemFields.Id)] };
    }

    /// <summary>
    /// For each index of the plan to build, the stale index it replaces: ours, with the keys of the same definition
    /// without the <c>_id</c> that <see cref="Served"/> adds (an index an earlier version built), for the log.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Replacements(IReadOnlyList<MongoExistingIndex> existing, MongoIndexPlan plan, IReadOnlyList<IndexDefinition> requested)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(requested);
        var replaced = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (position, index) in plan.Create)
        {
            var old = existing.FirstOrDefault(e => plan.Drop.Contains(e.Name) && !replaced.ContainsValue(e.Name) && Matches(e, requested[position]));
            if (old is not null && old.Name != index.Name)
            {
                replaced[index.Name] = old.Name;
            }
        }

        return replaced;
    }

    public static BsonDocument Keys(IndexDefinition index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.Fields.Count == 0)
        {
            throw new ArgumentException("An index needs at least one field.", nameof(index));
        }

        return MongoQueryTranslator.Sort(index.Fields);
    }

    /// <summary>
    /// Unique indexes constrain only documents that have every indexed field (null counts as a value),
    /// as the port requires; a plain MongoDB unique index would treat missing as null and allow only
    /// one document without the field. Non-unique indexes stay full so every query can use them.
    /// </summary>
    public static BsonDocument? PartialFilter(IndexDefinition index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (!index.Unique)
        {
            return null;
        }

        var filter = new BsonDocument();
        foreach (var field in index.Fields)
        {
            filter[field.Path] = new BsonDocument("$exists", true);
        }

        return filter;
    }

    public static CreateIndexModel<BsonDocument> ToModel(IndexDefinition index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var options = new CreateIndexOptions<BsonDocument> { Name = index.Name };
        if (PartialFilter(index) is { } partial)
        {
            options.Unique = true;
            options.PartialFilterExpression = partial;
        }

        return new CreateIndexModel<BsonDocument>(Keys(index), options);
    }

    /// <summary>
    /// Compares the indexes a collection has with the wanted ones. An index is recognised by what it is (keys in order
    /// with their directions, uniqueness and partial filter), not only by its name, so an index an earlier version named
    /// differently (before names were made unambiguous, <c>ix_created_at</c> for <c>["created_at"]</c>, now
    /// <c>ix_created%5Fat</c>) is kept under its old name instead of being built a second time; and an index that has a
    /// wanted name but other keys (the old <c>ix_a_b</c> of <c>["a_b"]</c> when <c>["a","b"]</c> is wanted) is stale:
    /// it is dropped before the new one of that name is built.
    /// </summary>
    public static MongoIndexPlan Plan(IReadOnlyList<MongoExistingIndex> existing, IReadOnlyList<IndexDefinition> wanted)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(wanted);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var wantedNames = new HashSet<string>(StringComparer.Ordinal);
        var create = new List<(int, IndexDefinition)>();
        for (var i = 0; i < wanted.Count; i++)
        {
            var name = wanted[i].Name;
            if (!wantedNames.Add(name))
            {
                continue;
            }

            // The same index under its own name first, else under any other name of ours not yet claimed.
            var match = existing.FirstOrDefault(e => e.Name == name && Matches(e, wanted[i]))
                ?? existing.FirstOrDefault(e => IsManaged(e.Name) && !kept.Contains(e.Name) && !wantedNames.Contains(e.Name) && Matches(e, wanted[i]));
            if (match is not null && kept.Add(match.Name))
            {
                continue;
            }

            create.Add((i, wanted[i]));
        }

        var stale = existing.Where(e => IsManaged(e.Name) && !kept.Contains(e.Name)).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        var creating = create.Select(c => c.Item2.Name).ToHashSet(StringComparer.Ordinal);
        return new MongoIndexPlan(stale, create) { DropFirst = stale.Where(creating.Contains).ToList() };
    }

    /// <summary>Whether <paramref name="existing"/> is <paramref name="index"/>: same keys and directions in order, same uniqueness and partial filter.</summary>
    public static bool Matches(MongoExistingIndex existing, IndexDefinition index)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(index);
        if (!SameKeys(existing.Keys, Keys(index)) || existing.Unique != index.Unique)
        {
            return false;
        }

        var partial = PartialFilter(index);
        return partial is null ? existing.PartialFilter is null : existing.PartialFilter is not null && SameFilter(existing.PartialFilter, partial);
    }

    /// <summary>Same field names in the same order with the same directions (servers may list 1 as 1.0).</summary>
    public static bool SameKeys(BsonDocument left, BsonDocument right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (left.ElementCount != right.ElementCount)
        {
            return false;
        }

        for (var i = 0; i < left.ElementCount; i++)
        {
            var (a, b) = (left.GetElement(i), right.GetElement(i));
            if (a.Name != b.Name || !a.Value.IsNumeric || !b.Value.IsNumeric || Math.Sign(a.Value.ToDouble()) != Math.Sign(b.Value.ToDouble()))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An index as <c>listIndexes</c> describes it.</summary>
    public static MongoExistingIndex Describe(BsonDocument index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var unique = index.TryGetValue("unique", out var u) && u.IsBoolean ? u.AsBoolean : index.TryGetValue("unique", out var n) && n.IsNumeric && n.ToDouble() != 0;
        var partial = index.TryGetValue("partialFilterExpression", out var p) && p.IsBsonDocument ? p.AsBsonDocument : null;
        return new MongoExistingIndex(index["name"].AsString, index["key"].AsBsonDocument, unique, partial);
    }

    // Our partial filters are {path: {$exists: true}, ...}; the server may list the boolean as a number.
    private static bool SameFilter(BsonDocument left, BsonDocument right)
    {
        if (left.ElementCount != right.ElementCount)
        {
            return false;
        }

        foreach (var element in right)
        {
            if (!left.TryGetValue(element.Name, out var value) || !value.IsBsonDocument || !element.Value.IsBsonDocument)
            {
                return false;
            }

            var (a, b) = (value.AsBsonDocument, element.Value.AsBsonDocument);
            if (a.ElementCount != 1 || b.ElementCount != 1 || a.GetElement(0).Name != b.GetElement(0).Name || a[0].ToBoolean() != b[0].ToBoolean())
            {
                return false;
            }
        }

        return true;
    }
}
