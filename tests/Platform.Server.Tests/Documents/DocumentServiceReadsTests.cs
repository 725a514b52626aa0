using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Documents;
using Platform.Server.Storage;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Documents;

/// <summary>How often a write reads the stored document: only when a rule needs it.</summary>
public sealed class DocumentServiceReadsTests
{
    private const string Notes = "notes";

    private readonly InMemoryDocumentStore _store = new();
    private readonly CollectionRegistry _registry;
    private readonly DocumentService _service;
    private int _reads;

    public DocumentServiceReadsTests()
    {
        (_service, _registry) = DocumentServices.Create(_store);
        _store.AfterGet = (collection, _) =>
        {
            if (collection == Notes)
            {
                Interlocked.Increment(ref _reads);
            }

            return Task.CompletedTask;
        };
    }

    [Fact]
    public async Task Delete_DoesNotReadTheDocument_ForServiceKeysAndAdmins()
    {
        var ct = TestContext.Current.CancellationToken;
        await DefineNotesAsync(ct);
        await _service.ExecuteAsync(new CreateCommand(Notes, new JsonObject { ["_id"] = "n1" }), Caller.Service, ct);

        var result = await _service.ExecuteAsync(new DeleteCommand(Notes, "n1"), Caller.Service, ct);

        Assert.Equal(204, result.Status);
        Assert.Equal(0, _reads);
        Assert.Null(await _store.GetAsync(Notes, "n1", ct));
    }

    [Fact]
    public async Task Delete_ReadsTheDocumentOnce_WhenTheDeleteRuleNeedsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await DefineNotesAsync(ct);
        var alice = new Caller("alice", Privileged: false, new JsonObject { ["id"] = "alice", ["roles"] = new JsonArray() });
        await _service.ExecuteAsync(new CreateCommand(Notes, new JsonObject { ["_id"] = "n1" }), alice, ct);

        var result = await _service.ExecuteAsync(new DeleteCommand(Notes, "n1"), alice, ct);

        Assert.Equal(204, result.Status);
        Assert.Equal(1, _reads);
    }

    private Task<Collection> DefineNotesAsync(CancellationToken cancellationToken)
    {
        const string Owner = "auth != null && doc._createdBy == auth.id";
        var rules = new Dictionary<string, string> { ["get"] = Owner, ["create"] = "auth != null", ["delete"] = Owner };
        return _registry.CreateAsync(new CollectionDefinition(Notes, null, [], rules), cancellationToken);
    }
}
