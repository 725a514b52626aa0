using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Every path the OpenAPI document lists is documented: it appears in README.md or a page of docs/, route parameters
/// matching whatever name the page gives them (<c>{c}</c> for <c>{collection}</c>).
/// </summary>
public sealed class RouteDocsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task EveryOpenApiPath_IsInTheDocs()
    {
        using var response = await fixture.Server.CreateClient().GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["paths"]!.AsObject()
            .Select(p => p.Key).ToList();
        Assert.True(paths.Count >= 40, $"Only {paths.Count} paths in the OpenAPI document.");

        var root = RepositoryFiles.Root();
        var docs = string.Join('\n', new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md")).Select(File.ReadAllText));
        var missing = paths.Where(path => !Regex.IsMatch(docs, Pattern(path))).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "Routes no page of docs/ (or README.md) names: " + string.Join(", ", missing));
    }

    // The path with each {parameter} matching any {name}, and nothing after it that would make it a longer path.
    private static string Pattern(string path) =>
        string.Join("\\{[^}/]+\\}", Regex.Split(path, "\\{[^}]+\\}").Select(Regex.Escape)) + "(?![A-Za-z0-9_/-]*[A-Za-z0-9_])";

}
