using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Auth;

public class ApiKeyServiceTests : IDisposable
{
    private readonly InMemoryDocumentStore _store = new();
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly ManualTimeProvider _time = new();
    private readonly ApiKeyService _service;

    public ApiKeyServiceTests()
    {
        _service = new ApiKeyService(_store, _cache, Options.Create(new AuthOptions()), _time, new SessionEndings(), NullLogger<ApiKeyService>.Instance);
    }

    public void Dispose() => _cache.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void GenerateKey_IsPrefixPlus43Base64UrlChars_AndRandom()
    {
        var key = ApiKeyService.GenerateKey();

        Assert.Matches("^baas_sk_[A-Za-z0-9_-]{43}$", key);
        Assert.True(ApiKeyService.HasKeyShape(key));
        Assert.NotEqual(key, ApiKeyService.GenerateKey());
    }

    [Theory]
    [InlineData("")]
    [InlineData("baas_sk_")]
    [InlineData("sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("baas_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("baas_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A")]
    public void HasKeyShape_IsFalse_ForMalformedKeys(string key) => Assert.False(ApiKeyService.HasKeyShape(key));

    [Fact]
    public void HashKey_IsLowerHexSha256OfUtf8()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyService.HashKey("abc"));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("ci", true)]
    public void ValidateName_AcceptsOnlyNonBlankNames(string? name, bool valid) =>
        Assert.Equal(valid, ApiKeyService.ValidateName(name) is null);

    [Fact]
    public void ValidateName_RejectsMoreThan100Characters()
    {
        Assert.Null(ApiKeyService.ValidateName(new string('n', 100)));
        Assert.NotNull(ApiKeyService.ValidateName(new string('n', 101)));
    }

    [Fact]
    public async Task CreateAsync_StoresHashAndDisplayPrefix_NeverTheKey()
    {
        var created = await _service.CreateAsync("  ci deploy ", "admin-1", Ct);

        var stored = await _store.GetAsync("_apikeys", created.Id, Ct);
        Assert.NotNull(stored);
        Assert.Equal("ci deploy", created.Name);
        Assert.Equal(ApiKeyService.HashKey(created.Key), stored["keyHash"]!.GetValue<string>());
        Assert.Equal(created.Key[..12], stored["prefix"]!.GetValue<string>());
        Assert.Equal("admin-1", stored[SystemFields.CreatedBy]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05.678Z", stored["createdAt"]!.GetValue<string>());
        Assert.DoesNotContain(created.Key, stored.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(created.Key[12..], stored.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_ReturnsTheKeysIdentity_ForALiveKey()
    {
        var created = await _service.CreateAsync("ci", null, Ct);

        var identity = await _service.AuthenticateAsync(created.Key, Ct);

        Assert.Equal(new ApiKeyIdentity(created.Id, "ci"), identity);
    }

    [Fact]
    public async Task AuthenticateAsync_ReturnsNull_ForUnknownAndMalformedKeys()
    {
        await _service.CreateAsync("ci", null, Ct);

        Assert.Null(await _service.AuthenticateAsync(ApiKeyService.GenerateKey(), Ct));
        Assert.Null(await _service.AuthenticateAsync("not-a-key", Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_ServesRepeatedUse_FromTheCache()
    {
        var created = await _service.CreateAsync("ci", null, Ct);
        await _service.AuthenticateAsync(created.Key, Ct);
        var queries = _store.QueryCalls;

        Assert.NotNull(await _service.AuthenticateAsync(created.Key, Ct));
        Assert.Equal(queries, _store.QueryCalls);
    }

    [Fact]
    public async Task RevokeAsync_TakesEffectAtOnce_EvenForACachedKey()
    {
        var created = await _service.CreateAsync("ci", null, Ct);
        Assert.NotNull(await _service.AuthenticateAsync(created.Key, Ct));

        Assert.True(await _service.RevokeAsync(created.Id, Ct));

        Assert.Null(await _service.AuthenticateAsync(created.Key, Ct));
        Assert.Null(await _store.GetAsync("_apikeys", created.Id, Ct));
    }

    [Fact]
    public async Task RevokeAsync_ReturnsFalse_ForAnUnknownId()
    {
        Assert.False(await _service.RevokeAsync("missing", Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_StampsLastUsedAt_AtMostOncePerMinute()
    {
        var created = await _service.CreateAsync("ci", null, Ct);

        await _service.AuthenticateAsync(created.Key, Ct);
        var first = (await _service.ListAsync(Ct)).Single().LastUsedAt;
        _time.Advance(TimeSpan.FromSeconds(30));
        await _service.AuthenticateAsync(created.Key, Ct);
        var unchanged = (await _service.ListAsync(Ct)).Single().LastUsedAt;
        _time.Advance(TimeSpan.FromSeconds(31));
        await _service.AuthenticateAsync(created.Key, Ct);
        var later = (await _service.ListAsync(Ct)).Single().LastUsedAt;

        Assert.Equal("2026-01-02T03:04:05.678Z", first);
        Assert.Equal(first, unchanged);
        Assert.Equal("2026-01-02T03:05:06.678Z", later);
    }

    [Fact]
    public async Task AuthenticateAsync_RejectsCachedKey_OnceItsNextStampFindsItRevokedElsewhere()
    {
        var created = await _service.CreateAsync("ci", null, Ct);
        Assert.NotNull(await _service.AuthenticateAsync(created.Key, Ct));

        // Another node revoked it: only the store knows.
        await _store.WriteAsync([new DeleteOperation("_apikeys", created.Id)], Ct);
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await _service.AuthenticateAsync(created.Key, Ct));
    }

    [Fact]
    public async Task ListAsync_ShowsPrefixAndName_WithoutKeyOrHash()
    {
        var a = await _service.CreateAsync("a", null, Ct);
        var b = await _service.CreateAsync("b", null, Ct);

        var listed = await _service.ListAsync(Ct);

        // Ids are random, so two keys created in the same instant may list in either order.
        Assert.Equal(new[] { a.Id, b.Id }.Order(StringComparer.Ordinal), listed.Select(k => k.Id).Order(StringComparer.Ordinal));
        Assert.Equal(new ApiKeyInfo(a.Id, "a", a.Prefix, a.CreatedAt, null), listed.Single(k => k.Id == a.Id));
        Assert.DoesNotContain(a.Key, JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(listed))!.ToJsonString(), StringComparison.Ordinal);
    }
}
