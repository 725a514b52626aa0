using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Audit;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Audit;

/// <summary>The audit log as plain code: masking on record, retention by the injected clock.</summary>
public sealed class AuditLogTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryDocumentStore _store = new();

    [Fact]
    public async Task RecordAsync_MasksSecretsInBeforeAndAfter()
    {
        var log = new AuditLog(_store, _time, NullLogger<AuditLog>.Instance);
        await log.RecordAsync(new AuditEntry("secrets.set", "functions/billing", "admin@x.io", Before: null, After: JsonNode.Parse("""{"name":"STRIPE","secret":"sk_live_1","env":{"apiKey":"k"}}""")), TestContext.Current.CancellationToken);

        var stored = Assert.Single(await AllAsync());
        Assert.Equal("""{"name":"STRIPE","secret":"***","env":{"apiKey":"***"}}""", stored["after"]!.ToJsonString());
        Assert.Equal("admin@x.io", stored["actor"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05.678Z", stored["at"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cleanup_RemovesOnlyEntriesPastTheRetention()
    {
        var log = new AuditLog(_store, _time, NullLogger<AuditLog>.Instance);
        await log.RecordAsync(new AuditEntry("a.old", "t/1", "x"), TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromDays(10));
        await log.RecordAsync(new AuditEntry("a.new", "t/2", "x"), TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromDays(85));

        var cleanup = new AuditCleanup(_store, Options.Create(new AuditOptions { Retention = TimeSpan.FromDays(90) }), _time, NullLogger<AuditCleanup>.Instance);
        Assert.Equal(1, await cleanup.RunOnceAsync(TestContext.Current.CancellationToken));
        Assert.Equal("a.new", Assert.Single(await AllAsync())["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task RecordAsync_KeepsTheOrderOfEntriesWrittenAtTheSameInstant()
    {
        // The listing sorts by (at, _id) newest first; under a frozen clock every `at` is equal, so the ids decide.
        var log = new AuditLog(_store, _time, NullLogger<AuditLog>.Instance);
        for (var i = 0; i < 20; i++)
        {
            await log.RecordAsync(new AuditEntry($"a.{i}", "t/1", "x"), TestContext.Current.CancellationToken);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"a.{i}"), (await AllAsync()).Select(e => e["action"]!.GetValue<string>()));
    }

    private async Task<IReadOnlyList<JsonObject>> AllAsync() =>
        await _store.QueryAsync(AuditLog.Collection, new DocumentQuery(MatchAllNode.Instance, [new SortField(SystemFields.Id)], 100), TestContext.Current.CancellationToken);
}
