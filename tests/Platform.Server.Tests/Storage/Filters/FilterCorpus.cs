using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Storage.Filters;

/// <summary>
/// The filter corpus: every case of every <c>Corpus/*.json</c> file (copied to the test output).
/// Shared by the in-memory matcher test and the provider conformance suite.
/// </summary>
public sealed record FilterCorpusCase(
    string File,
    string Name,
    IReadOnlyList<JsonObject> Documents,
    JsonElement Filter,
    string? Sort,
    IReadOnlyList<string> Expected)
{
    /// <summary>A stable, unique key: <c>file.json: case name</c>.</summary>
    public string Key => $"{File}: {Name}";

    /// <summary>The sort keys of <see cref="Sort"/> (<c>"-a,b"</c>), or empty.</summary>
    public IReadOnlyList<SortField> SortFields =>
        string.IsNullOrEmpty(Sort)
            ? []
            : Sort.Split(',').Select(k => k.StartsWith('-') ? new SortField(k[1..], Descending: true) : new SortField(k)).ToList();

    /// <summary>Fresh copies of the documents, so a consumer may mutate them.</summary>
    public IReadOnlyList<JsonObject> CloneDocuments() => Documents.Select(d => d.DeepClone().AsObject()).ToList();
}

public static class FilterCorpus
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Storage", "Filters", "Corpus");

    public static IReadOnlyList<FilterCorpusCase> LoadAll()
    {
        var cases = new List<FilterCorpusCase>();
        foreach (var path in System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            var file = Path.GetFileName(path);
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var item in document.RootElement.EnumerateArray())
            {
                var documents = item.GetProperty("documents").EnumerateArray()
                    .Select(d => JsonNode.Parse(d.GetRawText())!.AsObject())
                    .ToList();
                cases.Add(new FilterCorpusCase(
                    file,
                    item.GetProperty("name").GetString()!,
                    documents,
                    item.GetProperty("filter").Clone(),
                    item.TryGetProperty("sort", out var sort) ? sort.GetString() : null,
                    item.GetProperty("expected").EnumerateArray().Select(e => e.GetString()!).ToList()));
            }
        }

        return cases;
    }

    /// <summary>Case keys for a <c>[MemberData]</c> theory (one test per case).</summary>
    public static TheoryData<string> Keys()
    {
        var data = new TheoryData<string>();
        foreach (var item in LoadAll())
        {
            data.Add(item.Key);
        }

        return data;
    }

    public static FilterCorpusCase Get(string key) => LoadAll().Single(c => c.Key == key);
}
