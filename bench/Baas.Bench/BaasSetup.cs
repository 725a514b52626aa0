using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Baas.Bench;

/// <summary>Prepares the server over its public API: admin sign-in, a service key, an app user, the collection and its data.</summary>
internal static class BaasSetup
{
    public const string Collection = "bench_tasks";

    /// <summary>The collection of the equality + range query (issue 13, item 3): index <c>owner,-n</c>, no rules.</summary>
    public const string QueryCollection = "bench_query";

    /// <summary>Owner-only, the most common rule: every list query of an app user carries it as a filter.</summary>
    public const string OwnerRule = "auth != null && doc._createdBy == auth.id";

    public static readonly string[] Statuses = ["open", "closed", "pending", "archived"];

    /// <summary>Signs in as the seeded admin and returns the admin access token.</summary>
    public static async Task<string> AdminTokenAsync(HttpClient client, string email, string password, CancellationToken cancellationToken)
    {
        using var login = await client.PostAsJsonAsync(new Uri("api/admin/auth/login", UriKind.Relative), new { email, password }, cancellationToken).ConfigureAwait(false);
        return (await ReadObjectAsync(login, cancellationToken).ConfigureAwait(false))["accessToken"]!.GetValue<string>();
    }

    /// <summary>Signs in as the seeded admin and returns a new service key.</summary>
    public static async Task<string> CreateServiceKeyAsync(HttpClient client, string email, string password, CancellationToken cancellationToken)
    {
        var token = await AdminTokenAsync(client, email, password, cancellationToken).ConfigureAwait(false);

        using var keyRequest = new HttpRequestMessage(HttpMethod.Post, new Uri("api/admin/apikeys", UriKind.Relative))
        {
            Content = JsonContent.Create(new { name = "bench" }),
        };
        keyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var key = await client.SendAsync(keyRequest, cancellationToken).ConfigureAwait(false);
        return (await ReadObjectAsync(key, cancellationToken).ConfigureAwait(false))["key"]!.GetValue<string>();
    }

    /// <summary>
    /// Signs up an app user (<c>POST /api/auth/signup</c>, DESIGN.md section 6) and returns its access token.
    /// <paramref name="client"/> must send no credentials, or the sign-up would be read as an upgrade.
    /// </summary>
    public static async Task<string> SignUpAsync(HttpClient client, string email, string password, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync(new Uri("api/auth/signup", UriKind.Relative), new { email, password }, cancellationToken).ConfigureAwait(false);
        return (await ReadObjectAsync(response, cancellationToken).ConfigureAwait(false))["accessToken"]!.GetValue<string>();
    }

    /// <summary>
    /// The collection, with owner-only rules: service keys bypass them, app users list and read only what
    /// they created. The seeding app user creates every document, so both see the same data.
    /// </summary>
    public static async Task CreateCollectionAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var definition = new JsonObject
        {
            ["name"] = Collection,
            ["indexes"] = new JsonArray(
                new JsonObject { ["fields"] = new JsonArray("status", "-priority"), ["unique"] = false },

                // What docs/rules.md advises for owner-only lists: the rule's field first, then the query's.
                new JsonObject { ["fields"] = new JsonArray("_createdBy", "status", "-priority"), ["unique"] = false }),
            ["rules"] = new JsonObject
            {
                ["list"] = OwnerRule,
                ["get"] = OwnerRule,
                ["create"] = "auth != null",
                ["update"] = OwnerRule,
                ["delete"] = OwnerRule,
            },
        };
        using var response = await client.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), definition, cancellationToken).ConfigureAwait(false);
        await ReadObjectAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts <paramref name="count"/> documents with ids <see cref="DocumentId"/>(0..count-1) in batches of 500.</summary>
    public static async Task SeedAsync(HttpClient client, int count, int parallelism, CancellationToken cancellationToken)
    {
        const int batchSize = 500;
        var batches = Enumerable.Range(0, (count + batchSize - 1) / batchSize);
        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (batch, token) =>
            {
                var random = new Random(batch);
                var ops = new StringBuilder("{\"ops\":[");
                var end = Math.Min(count, (batch + 1) * batchSize);
                for (var i = batch * batchSize; i < end; i++)
                {
                    ops.Append(i == batch * batchSize ? "" : ",")
                        .Append("{\"op\":\"create\",\"collection\":\"").Append(Collection).Append("\",\"data\":")
                        .Append(DocumentJson(random, DocumentId(i))).Append('}');
                }

                ops.Append("]}");
                using var content = new StringContent(ops.ToString(), Encoding.UTF8, "application/json");
                using var response = await client.PostAsync(new Uri("api/batch", UriKind.Relative), content, token).ConfigureAwait(false);
                await ReadObjectAsync(response, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="QueryCollection"/> with index <c>(owner, -n)</c> and <paramref name="count"/> documents
    /// <c>{"owner": "o0".."o99", "n": 0..999}</c>: owner o7 holds about 1% of them, half of those with n ≥ 500.
    /// </summary>
    public static async Task SeedQueryCollectionAsync(HttpClient client, int count, int parallelism, CancellationToken cancellationToken)
    {
        var definition = new JsonObject
        {
            ["name"] = QueryCollection,
            ["indexes"] = new JsonArray(new JsonObject { ["fields"] = new JsonArray("owner", "-n"), ["unique"] = false }),
        };
        using (var response = await client.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), definition, cancellationToken).ConfigureAwait(false))
        {
            await ReadObjectAsync(response, cancellationToken).ConfigureAwait(false);
        }

        const int batchSize = 500;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, (count + batchSize - 1) / batchSize),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (batch, token) =>
            {
                var random = new Random(batch);
                var ops = new StringBuilder("{\"ops\":[");
                var end = Math.Min(count, (batch + 1) * batchSize);
                for (var i = batch * batchSize; i < end; i++)
                {
                    ops.Append(i == batch * batchSize ? "" : ",").Append(CultureInfo.InvariantCulture, $$$"""{"op":"create","collection":"{{{QueryCollection}}}","data":{"owner":"o{{{random.Next(100)}}}","n":{{{random.Next(1000)}}},"title":"Item {{{i}}}"}}""");
                }

                ops.Append("]}");
                using var content = new StringContent(ops.ToString(), Encoding.UTF8, "application/json");
                using var response = await client.PostAsync(new Uri("api/batch", UriKind.Relative), content, token).ConfigureAwait(false);
                await ReadObjectAsync(response, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one request as each client and fails unless both answers list the same documents, so that a
    /// comparison of the two measures the cost of the rule and not a smaller result.
    /// </summary>
    public static async Task EnsureSameItemsAsync(HttpClient first, HttpClient second, Uri query, CancellationToken cancellationToken)
    {
        using var a = await first.GetAsync(query, cancellationToken).ConfigureAwait(false);
        using var b = await second.GetAsync(query, cancellationToken).ConfigureAwait(false);
        var left = Ids(await ReadObjectAsync(a, cancellationToken).ConfigureAwait(false));
        var right = Ids(await ReadObjectAsync(b, cancellationToken).ConfigureAwait(false));
        if (left.Count == 0 || !left.SequenceEqual(right))
        {
            throw new InvalidOperationException($"{query} lists [{string.Join(", ", left)}] with the service key but [{string.Join(", ", right)}] as the app user.");
        }

        static List<string> Ids(JsonObject page) => [.. page["items"]!.AsArray().Select(item => item!["_id"]!.GetValue<string>())];
    }

    public static string DocumentId(int index) => "t" + index.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>A small task-like document; <paramref name="id"/> null lets the server generate one.</summary>
    public static string DocumentJson(Random random, string? id)
    {
        var status = Statuses[random.Next(Statuses.Length)];
        var priority = random.Next(0, 10);
        var owner = random.Next(0, 1000);
        var idPart = id is null ? "" : $"\"_id\":\"{id}\",";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{{{idPart}\"title\":\"Task {random.Next()}\",\"status\":\"{status}\",\"priority\":{priority},\"owner\":\"u{owner}\",\"n\":0,\"tags\":[\"bench\",\"p{priority}\"]}}");
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }

        return JsonNode.Parse(body)!.AsObject();
    }
}
