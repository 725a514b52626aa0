using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Admin;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>The OpenAPI document describes every request body and every problem answer (docs/api.md, "OpenAPI").</summary>
public class OpenApiDocumentTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    // POST/PUT/PATCH operations that take no body, as docs/api.md lists them.
    private static readonly HashSet<string> Bodiless =
    [
        "POST /api/auth/anonymous",
        "POST /api/auth/verify-email/request",
        "POST /api/admin/auth/logout",
        "POST /api/admin/functions/{name}/runs/{id}/retry",
        "POST /api/admin/users/{id}/password-reset",
        "POST /api/admin/users/{id}/sessions/revoke",
        "POST /api/admin/jobs/session",
        "POST /api/realtime/ticket",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonObject> DocumentAsync()
    {
        using var client = fixture.Server.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json", Ct);
        return await ProblemAssert.ReadObjectAsync(response, HttpStatusCode.OK);
    }

    private static IEnumerable<(string Name, JsonObject Operation)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(op => op.Value is JsonObject && op.Key is "get" or "post" or "put" or "patch" or "delete")
            .Select(op => ($"{op.Key.ToUpperInvariant()} {path.Key}", op.Value!.AsObject())));

    [Fact]
    public async Task EveryWriteOperation_DeclaresItsRequestBody_UnlessDocumentedAsBodiless()
    {
        var document = await DocumentAsync();

        var missing = Operations(document)
            .Where(op => op.Name.Split(' ')[0] is "POST" or "PUT" or "PATCH")
            .Where(op => op.Operation["requestBody"] is null && !Bodiless.Contains(op.Name))
            .Select(op => op.Name)
            .ToList();

        Assert.True(missing.Count == 0, "No requestBody: " + string.Join(", ", missing));
        var writes = Operations(document).Where(op => op.Operation["requestBody"] is null).Select(op => op.Name).ToHashSet();
        var stale = Bodiless.Where(name => !writes.Contains(name)).ToList();
        Assert.True(stale.Count == 0, "Listed as bodiless but not a bodiless operation: " + string.Join(", ", stale));
    }

    [Fact]
    public async Task EveryOperation_ListsItsClientProblems_AsProblemJson()
    {
        var document = await DocumentAsync();

        var missing = new List<string>();
        foreach (var (name, operation) in Operations(document))
        {
            var responses = operation["responses"]!.AsObject();
            var problems = responses
                .Where(r => r.Key.StartsWith('4') && r.Value?["content"]?["application/problem+json"] is not null)
                .Select(r => r.Key)
                .ToHashSet();
            if (problems.Count == 0)
            {
                missing.Add($"{name}: no 4xx problem");
                continue;
            }

            var path = name.Split(' ')[1];
            if (path.StartsWith("/api/", StringComparison.Ordinal) && !problems.Contains("429"))
            {
                missing.Add($"{name}: no 429");
            }

            if (path.Contains('{', StringComparison.Ordinal) && !problems.Contains("404"))
            {
                missing.Add($"{name}: no 404");
            }

            if (operation["requestBody"] is not null && !problems.Contains("400"))
            {
                missing.Add($"{name}: no 400");
            }
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Theory]
    [InlineData("/api/admin/auth/login", "401")]
    [InlineData("/api/auth/login", "401")]
    [InlineData("/api/admin/admins", "403")]
    [InlineData("/api/admin/collections", "401")]
    public async Task ProtectedOrCredentialOperations_List401And403(string path, string status)
    {
        var document = await DocumentAsync();

        var operation = document["paths"]![path]!.AsObject().First(op => op.Value is JsonObject && op.Key != "parameters").Value!;
        Assert.NotNull(operation["responses"]![status]?["content"]?["application/problem+json"]);
    }

    [Theory]
    [InlineData("/api/auth/signup", "email", "password", "data")]
    [InlineData("/api/auth/login", "email", "password")]
    [InlineData("/api/auth/refresh", "refreshToken")]
    [InlineData("/api/auth/logout", "refreshToken")]
    [InlineData("/api/auth/me", "data")]
    [InlineData("/api/auth/password/forgot", "email")]
    [InlineData("/api/auth/password/reset", "token", "password")]
    [InlineData("/api/auth/verify-email/confirm", "token")]
    [InlineData("/api/admin/auth/login", "email", "password")]
    [InlineData("/api/admin/setup", "token", "email", "password")]
    public async Task AuthBodies_NameTheirFields(string path, params string[] fields)
    {
        var document = await DocumentAsync();

        var operation = document["paths"]![path]!.AsObject()
            .First(op => op.Key is "post" or "patch").Value!;
        var schema = operation["requestBody"]?["content"]?["application/json"]?["schema"];
        Assert.NotNull(schema);
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            schema = document["components"]!["schemas"]![reference.Split('/')[^1]];
        }

        var properties = schema!["properties"]!.AsObject().Select(p => p.Key).ToHashSet();
        Assert.Superset(fields.ToHashSet(), properties);
    }
}
