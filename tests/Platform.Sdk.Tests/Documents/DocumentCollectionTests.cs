using System.Text.Json.Nodes;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Documents;

/// <summary>CRUD, preconditions and validation through the SDK against a real server.</summary>
public sealed class DocumentCollectionTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private const string TodoSchema = """
        { "type": "object", "required": ["title"],
          "properties": { "title": { "type": "string", "minLength": 1 }, "priority": { "type": "integer", "maximum": 5 } } }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<DocumentCollection<Todo>> TodosAsync(string? schema = null) =>
        fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync(schema));

    [Fact]
    public async Task AddAsync_ReturnsStoredDocument_WithGeneratedIdAndSystemFields()
    {
        var todos = await TodosAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);

        var added = await todos.AddAsync(new Todo { Title = "Write docs", Priority = 3, Tags = ["a"] }, Ct);

        Assert.Matches("^[0-9a-f]{24}$", added.Id);
        Assert.Equal(added.Id, added.Data.Id);
        Assert.Equal(1, added.Version);
        Assert.Equal("\"1\"", added.ETag);
        Assert.InRange(added.CreatedAt, before, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(added.CreatedAt, added.UpdatedAt);
        Assert.Null(added.CreatedBy);
        Assert.Equal(("Write docs", 3, false), (added.Data.Title, added.Data.Priority, added.Data.Done));
        Assert.Equal(["a"], added.Data.Tags);

        var read = await todos.GetAsync(added.Id, Ct);
        Assert.NotNull(read);
        Assert.Equal((added.Id, 1L, "Write docs"), (read.Id, read.Version, read.Data.Title));
    }

    [Fact]
    public async Task UnsetNullableProperties_AreOmitted_SoAnOptionalSchemaFieldAcceptsThem()
    {
        const string schema = """{ "type": "object", "properties": { "title": { "type": "string" }, "note": { "type": "string" } } }""";
        var todos = await TodosAsync(schema);

        var added = await todos.AddAsync(new Todo { Title = "A" }, Ct);
        var replaced = await todos.SetAsync(added.Id, new Todo { Title = "B" }, cancellationToken: Ct);
        Assert.Equal((2L, "B", (string?)null), (replaced.Version, replaced.Data.Title, replaced.Data.Note));

        // An explicit null is still possible where the schema allows it: here it does not, and the server says so.
        var ex = await Assert.ThrowsAsync<BaasException>(() => todos.UpdateAsync(added.Id, u => u.Set(t => t.Note, null), cancellationToken: Ct));
        Assert.Equal(422, ex.Status);
    }

    [Fact]
    public async Task OmitNullPropertiesOff_WritesExplicitNulls()
    {
        var name = await fixture.NewCollectionAsync();
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl, ApiKey = fixture.ServiceKey, OmitNullProperties = false });
        var added = await client.Collection<Todo>(name).AddAsync(new Todo { Title = "A" }, Ct);

        var raw = await client.Collection<JsonObject>(name).GetAsync(added.Id, Ct);
        Assert.True(raw!.Data.ContainsKey("note"));
        Assert.Null(raw.Data["note"]);
    }

    [Fact]
    public async Task AddAsync_UsesIdProperty_AndRejectsTakenId()
    {
        var todos = await TodosAsync();
        var added = await todos.AddAsync(new Todo { Id = "t-1", Title = "A" }, Ct);
        Assert.Equal("t-1", added.Id);

        var ex = await Assert.ThrowsAsync<BaasException>(() => todos.AddAsync(new Todo { Id = "t-1", Title = "B" }, Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("already_exists", ex.Code);
        Assert.Equal("A", (await todos.GetAsync("t-1", Ct))!.Data.Title);
    }

    [Fact]
    public async Task GetAsync_ReturnsNull_ForMissingDocument_ButThrowsForUndefinedCollection()
    {
        var todos = await TodosAsync();
        Assert.Null(await todos.GetAsync("nope", Ct));

        var ex = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Collection<Todo>("undefined-" + Guid.NewGuid().ToString("N")[..8]).GetAsync("x", Ct));
        Assert.Equal(404, ex.Status);
        Assert.Equal("collection_not_found", ex.Code);
        Assert.NotNull(ex.Problem);
        Assert.Equal("collection_not_found", ex.Problem["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task SetAsync_Replaces_AndUpsertCreates()
    {
        var todos = await TodosAsync();
        var added = await todos.AddAsync(new Todo { Title = "A", Priority = 1, Note = "n" }, Ct);

        var replaced = await todos.SetAsync(added.Id, new Todo { Title = "B", Priority = 2 }, cancellationToken: Ct);
        Assert.Equal((2L, "B", 2, (string?)null), (replaced.Version, replaced.Data.Title, replaced.Data.Priority, replaced.Data.Note));
        Assert.Equal(added.CreatedAt, replaced.CreatedAt);

        var missing = await Assert.ThrowsAsync<BaasException>(() => todos.SetAsync("ghost", new Todo { Title = "G" }, cancellationToken: Ct));
        Assert.Equal((404, "not_found"), (missing.Status, missing.Code));

        var upserted = await todos.SetAsync("ghost", new Todo { Title = "G" }, upsert: true, cancellationToken: Ct);
        Assert.Equal(("ghost", 1L, "ghost"), (upserted.Id, upserted.Version, upserted.Data.Id));
    }

    [Fact]
    public async Task SetAsync_WithDifferentIdInData_IsRejectedByTheServer()
    {
        var todos = await TodosAsync();
        await todos.AddAsync(new Todo { Id = "x1", Title = "A" }, Ct);
        var ex = await Assert.ThrowsAsync<BaasException>(() => todos.SetAsync("x1", new Todo { Id = "other", Title = "B" }, cancellationToken: Ct));
        Assert.Equal((400, "id_mismatch", "_id"), (ex.Status, ex.Code, ex.Problem?["field"]?.GetValue<string>()));

        // The same 400 whether the document is missing (not a 404) or would be created by the upsert (nothing is).
        var missing = await Assert.ThrowsAsync<BaasException>(() => todos.SetAsync("x2", new Todo { Id = "other", Title = "B" }, cancellationToken: Ct));
        Assert.Equal((400, "id_mismatch"), (missing.Status, missing.Code));
        var upsert = await Assert.ThrowsAsync<BaasException>(() => todos.SetAsync("x2", new Todo { Id = "other", Title = "B" }, upsert: true, cancellationToken: Ct));
        Assert.Equal((400, "id_mismatch"), (upsert.Status, upsert.Code));
        Assert.Null(await todos.GetAsync("x2", Ct));
        Assert.Null(await todos.GetAsync("other", Ct));
    }

    [Fact]
    public async Task UpdateAsync_MergePatch_UsesNamingPolicy_AndNullRemoves()
    {
        var todos = await TodosAsync();
        var added = await todos.AddAsync(new Todo { Title = "A", Note = "keep?" }, Ct);

        var patched = await todos.UpdateAsync(added.Id, new { Done = true, Note = (string?)null }, cancellationToken: Ct);

        Assert.Equal((2L, true, (string?)null, "A"), (patched.Version, patched.Data.Done, patched.Data.Note, patched.Data.Title));
        var raw = await fixture.Client.Collection<JsonObject>(todos.Name).GetAsync(added.Id, Ct);
        Assert.False(raw!.Data.ContainsKey("note"));
        Assert.True(raw.Data["done"]!.GetValue<bool>());
    }

    [Fact]
    public async Task UpdateAsync_TypedOperators_AreAppliedAtomically()
    {
        var todos = await TodosAsync();
        var added = await todos.AddAsync(new Todo { Title = "A", Priority = 1, Tags = ["x"] }, Ct);

        var updated = await todos.UpdateAsync(added.Id, u => u
            .Set(t => t.Done, true)
            .Increment(t => t.Priority, 2)
            .Push(t => t.Tags, "y", "z")
            .Unset(t => t.Note), cancellationToken: Ct);

        Assert.Equal((true, 3), (updated.Data.Done, updated.Data.Priority));
        Assert.Equal(["x", "y", "z"], updated.Data.Tags);

        await todos.UpdateAsync(added.Id, u => u.Pull(t => t.Tags, "y"), cancellationToken: Ct);
        var pulled = await todos.UpdateAsync(added.Id, u => u.AddToSet(t => t.Tags, "x", "w").Max(t => t.Priority, 2), cancellationToken: Ct);
        Assert.Equal(["x", "z", "w"], pulled.Data.Tags);
        Assert.Equal(3, pulled.Data.Priority);

        var raw = await todos.UpdateAsync(added.Id, new JsonObject { ["$inc"] = new JsonObject { ["priority"] = -1 } }, cancellationToken: Ct);
        Assert.Equal(2, raw.Data.Priority);
    }

    [Fact]
    public async Task Writes_WithStaleIfMatch_Fail412_AndMatchingIfMatchSucceeds()
    {
        var todos = await TodosAsync();
        var v1 = await todos.AddAsync(new Todo { Title = "A" }, Ct);
        var v2 = await todos.UpdateAsync(v1.Id, new { Priority = 1 }, ifMatch: v1.Version, cancellationToken: Ct);
        Assert.Equal(2, v2.Version);

        var onUpdate = await Assert.ThrowsAsync<BaasException>(() => todos.UpdateAsync(v1.Id, new { Priority = 2 }, ifMatch: v1.Version, cancellationToken: Ct));
        var onSet = await Assert.ThrowsAsync<BaasException>(() => todos.SetAsync(v1.Id, new Todo { Title = "B" }, ifMatch: v1.Version, cancellationToken: Ct));
        var onDelete = await Assert.ThrowsAsync<BaasException>(() => todos.DeleteAsync(v1.Id, ifMatch: v1.Version, cancellationToken: Ct));
        foreach (var ex in new[] { onUpdate, onSet, onDelete })
        {
            Assert.Equal(412, ex.Status);
            Assert.Equal("version_mismatch", ex.Code);
        }

        Assert.Equal(2, (await todos.GetAsync(v1.Id, Ct))!.Version);
        Assert.True(await todos.DeleteAsync(v1.Id, ifMatch: 2, cancellationToken: Ct));
    }

    [Fact]
    public async Task DeleteAsync_ReturnsTrueOnce_ThenFalse()
    {
        var todos = await TodosAsync();
        var added = await todos.AddAsync(new Todo { Title = "A" }, Ct);
        Assert.True(await todos.DeleteAsync(added.Id, cancellationToken: Ct));
        Assert.False(await todos.DeleteAsync(added.Id, cancellationToken: Ct));
        Assert.Null(await todos.GetAsync(added.Id, Ct));
    }

    [Fact]
    public async Task SchemaViolation_Is422_WithErrors()
    {
        var todos = await TodosAsync(TodoSchema);

        var ex = await Assert.ThrowsAsync<BaasException>(() => todos.AddAsync(new Todo { Title = "", Priority = 9 }, Ct));

        Assert.Equal(422, ex.Status);
        Assert.False(string.IsNullOrEmpty(ex.Code));
        Assert.NotEmpty(ex.Errors);
        Assert.Contains(ex.Errors, e => e.Path.Contains("priority", StringComparison.Ordinal) && e.Message.Length > 0);
        Assert.Contains(ex.Errors, e => e.Path.Contains("title", StringComparison.Ordinal));
        Assert.Equal(0, await todos.CountAsync(Ct));

        var added = await todos.AddAsync(new Todo { Title = "ok", Priority = 5 }, Ct);
        var patch = await Assert.ThrowsAsync<BaasException>(() => todos.UpdateAsync(added.Id, u => u.Increment(t => t.Priority, 1), cancellationToken: Ct));
        Assert.Equal(422, patch.Status);
        Assert.Equal(5, (await todos.GetAsync(added.Id, Ct))!.Data.Priority);
    }

    [Fact]
    public async Task BaasIdAttribute_AndJsonPropertyNames_RoundTrip()
    {
        var name = await fixture.NewCollectionAsync();
        var notes = fixture.Client.Collection<Note>(name);
        var added = await notes.AddAsync(new Note { Key = "n1", Text = "hi", Version = 42 }, Ct);
        Assert.Equal(("n1", "n1", "hi", 1L), (added.Id, added.Data.Key, added.Data.Text, added.Data.Version));

        var raw = await fixture.Client.Collection<JsonObject>(name).GetAsync("n1", Ct);
        Assert.Equal("hi", raw!.Data["note_text"]!.GetValue<string>());
        Assert.False(raw.Data.ContainsKey("key"));
        Assert.Equal(["n1"], (await notes.Where(n => n.Key == "n1" && n.Text == "hi").ToListAsync(Ct)).Select(d => d.Id));
    }

    public sealed class Note
    {
        [BaasId]
        public string? Key { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("note_text")]
        public string Text { get; set; } = "";

        [System.Text.Json.Serialization.JsonPropertyName("_version")]
        public long Version { get; set; }
    }

    [Fact]
    public async Task JsonObjectCollection_SeesSystemFields()
    {
        var name = await fixture.NewCollectionAsync();
        var raw = fixture.Client.Collection<JsonObject>(name);
        var added = await raw.AddAsync(new JsonObject { ["_id"] = "r1", ["n"] = 1, ["_version"] = 99 }, Ct);
        Assert.Equal(("r1", 1L), (added.Id, added.Version));
        Assert.Equal(1, added.Data["n"]!.GetValue<int>());
        Assert.Equal("r1", added.Data["_id"]!.GetValue<string>());
        Assert.Equal(1, added.Data["_version"]!.GetValue<long>());
    }
}
