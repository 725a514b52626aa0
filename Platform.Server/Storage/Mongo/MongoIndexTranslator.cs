using MongoDB.Bson;
using MongoDB.Driver;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// What <see cref="IDocumentStore.ApplyIndexesAsync"/> has to do: build the missing indexes, then drop
/// the stale ones, so a build that fails on existing data leaves the previous indexes in force.
/// </summary>
/// <param name="Drop">Names of our indexes that are no longer wanted.</param>
/// <param name="Create">Missing indexes, each with its position in the requested list.</param>
internal sealed record MongoIndexPlan(IReadOnlyList<string> Drop, IReadOnlyList<(int Position, IndexDefinition Index)> Create);

/// <summary>Translates index definitions into MongoDB indexes.</summary>
internal static class MongoIndexTranslator
{
    /// <summary>Indexes with these prefixes are ours to drop; anything else (<c>_id_</c>, an operator's own) is left alone.</summary>
    public static bool IsManaged(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith("ix_", StringComparison.Ordinal) || name.StartsWith("ux_", StringComparison.Ordinal);
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

    public static MongoIndexPlan Plan(IEnumerable<string> existing, IReadOnlyList<IndexDefinition> wanted)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(wanted);
        var present = existing.ToHashSet(StringComparer.Ordinal);
        var wantedNames = new HashSet<string>(StringComparer.Ordinal);
        var create = new List<(int, IndexDefinition)>();
        for (var i = 0; i < wanted.Count; i++)
        {
            var name = wanted[i].Name;

            // The name encodes keys and uniqueness, so an index of that name is already the right one.
            if (wantedNames.Add(name) && !present.Contains(name))
            {
                create.Add((i, wanted[i]));
            }
        }

        var drop = present.Where(name => IsManaged(name) && !wantedNames.Contains(name)).Order(StringComparer.Ordinal).ToList();
        return new MongoIndexPlan(drop, create);
    }
}
