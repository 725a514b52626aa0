using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Storage;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>
/// Where a successful <c>before</c> run's record is written (docs/functions.md, failure semantics): on a store that
/// combines writes cheaply (SQLite) in the document's own store write, so it commits with the document or not at all;
/// elsewhere (MongoDB) queued once the document committed.
/// </summary>
public sealed class BeforeTriggerRecordTests
{
    private const string SetsOneField = "export default async function (ctx) { return { data: { ...ctx.event.data, checked: true } }; }";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASuccessfulRunsRecord_IsInsertedInTheDocumentsOwnStoreWrite()
    {
        var writes = new ConcurrentQueue<string[]>();
        await using var server = await BaasTestServer.StartAsync(configureServices: services =>
        {
            var registered = services.Last(d => d.ServiceType == typeof(IDocumentStore));
            services.Remove(registered);
            services.AddSingleton(sp => WriteRecordingStore.Wrap((IDocumentStore)registered.ImplementationFactory!(sp), writes));
        });
        using var admin = await server.CreateAdminClientAsync(Ct);
        var (collection, function) = await TriggeredCollectionAsync(admin);

        writes.Clear();
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await admin.PostJsonAsync($"/api/collections/{collection}/documents", """{ "_id": "d1", "n": 1 }"""));
        Assert.True(created!["checked"]!.GetValue<bool>());

        // The runs API flushes whatever is queued before it reads, so the record is listed either way.
        var run = Assert.Single(await RunsAsync(admin, function));
        Assert.Equal(("succeeded", "d1"), (run!["status"]!.GetValue<string>(), run["event"]!["documentId"]!.GetValue<string>()));

        var touching = writes.Where(w => w.Contains(collection) || w.Contains(FunctionRunJson.Collection)).ToArray();
        if (server.Provider == TestProvider.Sqlite)
        {
            // One store write, one transaction: the document, then its run's record.
            Assert.Equal([[collection, FunctionRunJson.Collection]], touching);
        }
        else
        {
            // A second operation would make a MongoDB write a transaction: the record follows in a write of its own.
            Assert.Equal([[collection], [FunctionRunJson.Collection]], touching);
        }
    }

    [Fact]
    public async Task ARunRecordThatCannotBeWritten_RefusesTheDocumentToo_WhereTheyShareTheWrite()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var admin = await server.CreateAdminClientAsync(Ct);
        var (collection, function) = await TriggeredCollectionAsync(admin);

        // Make every record after the first of this function fail inside the store: on SQLite, whose records have a
        // table of their own, a trigger that refuses a second row of the function (a constraint error, as a unique
        // index would raise); elsewhere a unique index on its name.
        if (server.Provider == TestProvider.Sqlite)
        {
            RefuseASecondRecord(server.DataDir, function);
        }
        else
        {
            var store = server.Services.GetRequiredService<IDocumentStore>();
            await store.ApplyIndexesAsync(FunctionRunJson.Collection, [new IndexDefinition([new SortField("function")], Unique: true)], Ct);
        }

        await HttpAssert.StatusAsync(HttpStatusCode.Created, await admin.PostJsonAsync($"/api/collections/{collection}/documents", """{ "_id": "first" }"""));

        using var second = await admin.PostJsonAsync($"/api/collections/{collection}/documents", """{ "_id": "second" }""");
        using var read = await admin.GetAsync($"/api/collections/{collection}/documents/second", Ct);
        if (server.Provider == TestProvider.Sqlite)
        {
            // All or nothing: the record failed, so the document was not written either (a fault of the server: 500).
            await HttpAssert.ProblemAsync(HttpStatusCode.InternalServerError, "internal_error", second);
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        }
        else
        {
            // Queued after the commit: the document stands, the record is retried and then logged as lost.
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        Assert.Single(await RunsAsync(admin, function));
    }

    private static void RefuseASecondRecord(string dataDir, string function)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "baas.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            $"CREATE TRIGGER refuse_second_record BEFORE INSERT ON {Platform.Server.Storage.Sqlite.SqliteDocumentStore.RunsTable} " +
            $"WHEN NEW.function = '{function}' AND EXISTS (SELECT 1 FROM {Platform.Server.Storage.Sqlite.SqliteDocumentStore.RunsTable} WHERE function = NEW.function) " +
            "BEGIN SELECT RAISE(ABORT, 'one record per function'); END";
        command.ExecuteNonQuery();
    }

    private static async Task<(string Collection, string Function)> TriggeredCollectionAsync(HttpClient admin)
    {
        var collection = "c" + Guid.NewGuid().ToString("N")[..12];
        using (var response = await admin.PostAsJsonAsync("/api/admin/collections", new { name = collection }, Ct))
        {
            response.EnsureSuccessStatusCode();
        }

        var function = FunctionServerFixture.NewName("record");
        var body = new { name = function, code = SetsOneField, triggers = new[] { new { collection, on = new[] { "create" }, phase = "before" } } };
        using (var response = await admin.PostAsJsonAsync("/api/admin/functions", body, Ct))
        {
            response.EnsureSuccessStatusCode();
        }

        return (collection, function);
    }

    private static async Task<JsonArray> RunsAsync(HttpClient admin, string function)
    {
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.GetAsync($"/api/admin/functions/{function}/runs", Ct));
        return page!["items"]!.AsArray();
    }

    /// <summary>Passes every call on to the real store, noting the collections of each <see cref="IDocumentStore.WriteAsync"/>.</summary>
    public class WriteRecordingStore : DispatchProxy
    {
        private IDocumentStore _inner = null!;
        private ConcurrentQueue<string[]> _writes = null!;

        public static IDocumentStore Wrap(IDocumentStore inner, ConcurrentQueue<string[]> writes)
        {
            var proxy = Create<IDocumentStore, WriteRecordingStore>();
            var recording = (WriteRecordingStore)(object)proxy;
            recording._inner = inner;
            recording._writes = writes;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IDocumentStore.WriteAsync) && args?[0] is IReadOnlyList<WriteOperation> operations)
            {
                _writes.Enqueue([.. operations.Select(o => o.Collection)]);
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }
    }
}
