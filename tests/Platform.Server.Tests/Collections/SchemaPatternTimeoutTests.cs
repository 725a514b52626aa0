using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Collections;

/// <summary>
/// A schema pattern that backtracks without end (<c>^(a+)+$</c> against "aaa...a!") is stopped by the process's default
/// regex match timeout, set first thing in Program.cs: the write is a 422 naming the field instead of holding a core
/// for hours. The timeout is read once per process, so this runs the server as its own process.
/// </summary>
public sealed class SchemaPatternTimeoutTests
{
    [Fact]
    public async Task CatastrophicPattern_Is422NamingTheField_AndAMatchingValueIsStillStored()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "pattern-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await ServerProcess.StartAsync(dataDir, cancellationToken: ct);
            using var client = server.CreateClient();
            await ServerProcess.SignInAsAdminAsync(client, ct);
            var schema = JsonNode.Parse("""{"type":"object","properties":{"name":{"type":"string","pattern":"^(a+)+$"}}}""");
            (await client.PostAsJsonAsync("/api/admin/collections", new { name = "patterns", schema }, ct)).EnsureSuccessStatusCode();

            // 64 a's: without a timeout the backtracking takes about 2^64 steps, far past the client's 30 s.
            using var refused = await client.PostAsJsonAsync("/api/collections/patterns/documents", new { name = new string('a', 64) + "!" }, ct);
            var problem = await refused.Content.ReadFromJsonAsync<JsonObject>(ct);
            Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{refused.StatusCode}: {problem}");
            Assert.Equal("schema_validation", problem!["code"]!.GetValue<string>());
            Assert.Equal("name", problem["errors"]![0]!["path"]!.GetValue<string>());

            using var stored = await client.PostAsJsonAsync("/api/collections/patterns/documents", new { name = "aaaa" }, ct);
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
