using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions;

/// <summary>
/// Keeps the functions pages honest: every <c>json</c> block of docs/functions*.md that is a whole definition (it has
/// a <c>name</c> and a <c>code</c>) is accepted by the admin API as written, its code compiling. Each is saved under a
/// fresh name and disabled, so nothing it schedules or triggers runs.
/// </summary>
public sealed partial class FunctionDocsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    public static TheoryData<string, string> Definitions()
    {
        var data = new TheoryData<string, string>();
        var docs = Path.Combine(RepositoryFiles.Root(), "docs");
        foreach (var file in Directory.GetFiles(docs, "functions*.md").Order(StringComparer.Ordinal))
        {
            foreach (Match block in JsonBlock().Matches(File.ReadAllText(file)))
            {
                // Answers shown with elisions ("…") are not JSON and not definitions.
                if (Parse(block.Groups[1].Value) is JsonObject definition && definition.ContainsKey("name") && definition.ContainsKey("code"))
                {
                    data.Add(Path.GetFileName(file), definition.ToJsonString());
                }
            }
        }

        return data;
    }

    [Fact]
    public void Definitions_AreFound() => Assert.True(Definitions().Count >= 8, $"Only {Definitions().Count} definitions found in docs/functions*.md.");

    [Theory]
    [MemberData(nameof(Definitions))]
    public async Task Definition_IsAcceptedAsWritten(string page, string json)
    {
        var definition = JsonNode.Parse(json)!.AsObject();
        definition["name"] = "doc-" + Guid.NewGuid().ToString("N")[..12];
        definition["enabled"] = false;

        using var response = await fixture.Admin.PostJsonAsync("/api/admin/functions", definition.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{page}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
