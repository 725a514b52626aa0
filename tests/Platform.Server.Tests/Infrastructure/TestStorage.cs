using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Platform.Server.Tests.Infrastructure;

/// <summary>The store the integration servers (<see cref="BaasTestServer"/>) run on.</summary>
public enum TestProvider
{
    Sqlite,
    Mongo,
}

/// <summary>
/// Which store the integration servers use, from <c>BAAS_TEST_PROVIDER</c> (<c>sqlite</c>, the default, or <c>mongo</c>)
/// and <c>BAAS_TEST_MONGO</c> (a replica-set connection string), or why the two do not make a usable choice.
/// </summary>
public sealed record TestProviderSelection(TestProvider Provider, string? ConnectionString, string? Error)
{
    public static TestProviderSelection Sqlite { get; } = new(TestProvider.Sqlite, null, null);
}

/// <summary>
/// Issue 12 item 9: the HTTP, users, rules, batch and realtime integration suites run on either provider. With
/// <c>BAAS_TEST_PROVIDER=mongo</c> every <see cref="BaasTestServer"/> that does not name a provider itself gets a
/// database of its own on the replica set of <c>BAAS_TEST_MONGO</c> (one per data dir, so servers started on one data
/// dir share it as they would share the SQLite file), dropped when the last server on it is disposed. Hangfire follows
/// the provider, as in production: its collections live in the same database. Tests that are SQLite-specific by
/// nature set <c>Baas:Storage:Provider=Sqlite</c> themselves.
/// </summary>
public static class TestStorage
{
    public const string ProviderVariable = "BAAS_TEST_PROVIDER";
    public const string MongoVariable = "BAAS_TEST_MONGO";

    /// <summary>How long the one reachability check of a run waits for the replica set.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    // Process-wide on purpose: one check per connection string for the whole run, so a run without a reachable server
    // fails every test at once with the same message instead of waiting out the driver's 30 s in each.
    private static readonly ConcurrentDictionary<string, Lazy<Task<string?>>> Probes = new(StringComparer.Ordinal);

    // Servers open on each database: two nodes on one data dir share one, and the last to stop drops it.
    private static readonly Dictionary<string, int> OpenServers = new(StringComparer.Ordinal);
    private static readonly Lock OpenServersGate = new();

    /// <summary>The selection of this test run.</summary>
    public static TestProviderSelection Current { get; } =
        Select(Environment.GetEnvironmentVariable(ProviderVariable), Environment.GetEnvironmentVariable(MongoVariable));

    /// <summary>Reads the two variables; pure.</summary>
    public static TestProviderSelection Select(string? provider, string? mongo)
    {
        var name = provider?.Trim();
        if (string.IsNullOrEmpty(name) || string.Equals(name, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return TestProviderSelection.Sqlite;
        }

        if (!string.Equals(name, "mongo", StringComparison.OrdinalIgnoreCase) && !string.Equals(name, "mongodb", StringComparison.OrdinalIgnoreCase))
        {
            return new(TestProvider.Sqlite, null, $"{ProviderVariable} must be 'sqlite' or 'mongo', not '{name}'.");
        }

        if (string.IsNullOrWhiteSpace(mongo))
        {
            return new(TestProvider.Mongo, null,
                $"{ProviderVariable}=mongo needs {MongoVariable}, a replica-set connection string such as 'mongodb://localhost:27017/?replicaSet=rs0' (docs/deployment.md, \"Testing against MongoDB\").");
        }

        try
        {
            _ = MongoUrl.Create(mongo.Trim());
        }
        catch (MongoConfigurationException ex)
        {
            return new(TestProvider.Mongo, null, $"{MongoVariable} is not a MongoDB connection string: {ex.Message}");
        }

        return new(TestProvider.Mongo, mongo.Trim(), null);
    }

    /// <summary>The database of the servers on <paramref name="dataDir"/>: the same dir, the same database; pure.</summary>
    public static string DatabaseFor(string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir)));
        return "baas_test_" + Convert.ToHexStringLower(hash)[..20];
    }

    /// <summary>The configuration a server on MongoDB gets; pure.</summary>
    public static Dictionary<string, string?> MongoSettings(string connectionString, string database) => new()
    {
        ["Baas:Storage:Provider"] = "Mongo",
        ["Baas:Storage:ConnectionString"] = connectionString,
        ["Baas:Storage:Database"] = database,
    };

    /// <summary>
    /// Null when a replica set answers at <paramref name="connectionString"/> within <see cref="ProbeTimeout"/>, else
    /// the one message every test of the run fails with. Checked once per connection string and run.
    /// </summary>
    public static Task<string?> ProbeAsync(string connectionString) =>
        Probes.GetOrAdd(connectionString, cs => new Lazy<Task<string?>>(() => ProbeOnceAsync(cs))).Value;

    private static async Task<string?> ProbeOnceAsync(string connectionString)
    {
        var url = MongoUrl.Create(connectionString);
        var hosts = string.Join(",", url.Servers.Select(s => s.ToString()));
        var settings = MongoClientSettings.FromUrl(url);
        settings.ServerSelectionTimeout = ProbeTimeout;
        settings.ConnectTimeout = ProbeTimeout;
        settings.ApplicationName = "baas-tests-probe";
        try
        {
            using var client = new MongoClient(settings);
            using var timeout = new CancellationTokenSource(ProbeTimeout * 2);
            var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: timeout.Token);
            var replicaSet = hello.Contains("setName") || hello.GetValue("msg", BsonNull.Value) is BsonString { Value: "isdbgrid" };
            return replicaSet
                ? null
                : $"{ProviderVariable}=mongo: the MongoDB at {hosts} ({MongoVariable}) is a standalone server; the suites need a replica set " +
                  "(start mongod with --replSet rs0 and run rs.initiate() once, docs/deployment.md, \"Testing against MongoDB\").";
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or OperationCanceledException)
        {
            return $"{ProviderVariable}=mongo, but no MongoDB answered at {hosts} ({MongoVariable}) within {ProbeTimeout.TotalSeconds:0} s: " +
                   $"{ex.GetType().Name}: {FirstLine(ex.Message)} Start the replica set (docs/deployment.md, \"Testing against MongoDB\") or unset {ProviderVariable} to test on SQLite.";
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? message : message[..end];
        return line.Length > 300 ? line[..300] + "..." : line;
    }

    /// <summary>Counts a server on <paramref name="database"/>.</summary>
    public static void Open(string database)
    {
        lock (OpenServersGate)
        {
            OpenServers[database] = OpenServers.GetValueOrDefault(database) + 1;
        }
    }

    /// <summary>A server on <paramref name="database"/> stopped; drops the database when it was the last one.</summary>
    public static async Task CloseAsync(string connectionString, string database)
    {
        lock (OpenServersGate)
        {
            var left = OpenServers.GetValueOrDefault(database) - 1;
            if (left > 0)
            {
                OpenServers[database] = left;
                return;
            }

            OpenServers.Remove(database);
        }

        var settings = MongoClientSettings.FromConnectionString(connectionString);
        settings.ServerSelectionTimeout = ProbeTimeout;
        using var client = new MongoClient(settings);
        try
        {
            await client.DropDatabaseAsync(database);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            // The server went away during the test (the test has failed already, or it stopped the server on purpose).
        }
    }
}
