using System.Text.Json;
using MongoDB.Bson;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// Every filter and sort of the shared corpus translates to BSON, and the BSON holds only operators
/// the translator is allowed to produce. (Whether MongoDB then returns the expected documents is the
/// conformance suite's job, which needs a server.)
/// </summary>
public class MongoCorpusTranslationTests
{
    private static readonly HashSet<string> AllowedOperators =
    [
        "$and", "$or", "$nor", "$not", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin",
        "$exists", "$size", "$all", "$elemMatch", "$regex", "$type",
    ];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(CorpusFolder, "*.json").Order(StringComparer.Ordinal))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var item in json.RootElement.EnumerateArray())
            {
                data.Add(Path.GetFileName(file), item.GetProperty("name").GetString()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Corpus_FilterAndSort_TranslateToAllowedOperators(string file, string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(CorpusFolder, file)));
        var item = json.RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var sort = item.TryGetProperty("sort", out var sortText) && sortText.ValueKind == JsonValueKind.String
            ? sortText.GetString()!.Split(',').Select(s => s.StartsWith('-') ? new SortField(s[1..], true) : new SortField(s)).ToList()
            : [new SortField(SystemFields.Id)];
        var documents = item.GetProperty("documents").EnumerateArray().ToList();
        var last = documents[^1];

        // A keyset position taken from the last document, as the service builds it.
        var after = sort.Select(field => Position(last, field.Path)).ToList();
        var find = MongoQueryTranslator.Translate(new DocumentQuery(FilterParser.Parse(item.GetProperty("filter")), sort, 10, after));

        AssertOnlyAllowedOperators(find.Filter);
        Assert.Equal(sort.Count, find.Sort.ElementCount);
    }

    private static string CorpusFolder => Path.Combine(AppContext.BaseDirectory, "Storage", "Filters", "Corpus");

    private static JsonElement Position(JsonElement document, string path)
    {
        var current = document;
        foreach (var segment in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return JsonDocument.Parse("null").RootElement.Clone();
            }
        }

        return current.Clone();
    }

    private static void AssertOnlyAllowedOperators(BsonValue value)
    {
        switch (value)
        {
            case BsonDocument document:
                foreach (var element in document)
                {
                    if (element.Name.StartsWith('$'))
                    {
                        Assert.Contains(element.Name, AllowedOperators);
                    }

                    AssertOnlyAllowedOperators(element.Value);
                }

                break;
            case BsonArray array:
                foreach (var item in array)
                {
                    AssertOnlyAllowedOperators(item);
                }

                break;
        }
    }
}
