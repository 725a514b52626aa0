using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;
using Platform.Server.Auth;

namespace Platform.Sdk.Tests.Realtime;

public sealed class Owned
{
    public string? Id { get; set; }

    public string Owner { get; set; } = "";

    public int N { get; set; }
}

public sealed class WatchRulesTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WatchAsync_ListRuleTightened_ResetsToWhatTheNewRuleShows()
    {
        var name = await fixture.NewCollectionAsync();
        var definition = new CollectionDefinition { Name = name, Rules = { ["list"] = "auth != null", ["get"] = "auth != null" } };
        await fixture.Client.Admin.Collections.UpdateAsync(definition, Token);
        var docs = fixture.Client.Collection<Owned>(name);
        await docs.AddAsync(new Owned { Id = "a", Owner = "alice" }, Token);
        await docs.AddAsync(new Owned { Id = "b", Owner = "bob" }, Token);

        // An app user, through the client's access-token seam (client.Auth plugs in there).
        var token = fixture.Server.Services.GetRequiredService<BaasTokenService>()
            .IssueUserToken(new UserTokenSubject("alice", "alice@test.local", [], Anonymous: false, EmailVerified: true, SessionId: null)).AccessToken;
        using var alice = fixture.CreateClient(o =>
        {
            o.ApiKey = null;
            o.Realtime.ReconnectDelay = TimeSpan.FromMilliseconds(20);
        });
        alice.AccessTokenSource = _ => Task.FromResult<string?>(token);

        await using var changes = new WatchReader<Owned>(alice.Collection<Owned>(name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "a");
        await changes.ExpectAsync(DocumentChangeType.Added, "b");

        definition.Rules["list"] = "doc.owner == auth.id";
        await fixture.Client.Admin.Collections.UpdateAsync(definition, Token);

        // The server drops subscriptions bound to the old rule (resync rules_changed); resuming would keep "b" on screen.
        var reset = await changes.NextAsync();
        Assert.Equal(DocumentChangeType.Reset, reset.Type);
        await changes.ExpectAsync(DocumentChangeType.Added, "a");
        await docs.UpdateAsync("b", new { N = 1 }, cancellationToken: Token);
        await docs.UpdateAsync("a", new { N = 1 }, cancellationToken: Token);
        Assert.Equal(1, (await changes.ExpectAsync(DocumentChangeType.Modified, "a")).Data!.N);
    }

    [Fact]
    public async Task WatchAsync_SignedInUserChanges_ResetsToWhatTheNewUserSees()
    {
        var name = await fixture.NewCollectionAsync();
        var definition = new CollectionDefinition { Name = name, Rules = { ["list"] = "doc.owner == auth.id", ["get"] = "doc.owner == auth.id" } };
        await fixture.Client.Admin.Collections.UpdateAsync(definition, Token);
        var docs = fixture.Client.Collection<Owned>(name);
        await docs.AddAsync(new Owned { Id = "a", Owner = "alice" }, Token);
        await docs.AddAsync(new Owned { Id = "b", Owner = "bob" }, Token);

        var user = "alice";
        using var client = fixture.CreateClient(o =>
        {
            o.ApiKey = null;
            o.Realtime.ReconnectDelay = TimeSpan.FromMilliseconds(20);
        });
        client.AccessTokenSource = _ => Task.FromResult<string?>(TokenFor(user));
        await using var changes = new WatchReader<Owned>(client.Collection<Owned>(name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "a");

        // What client.Auth does when the user changes: new token source answer, then a reconnect.
        user = "bob";
        client.Collection<Owned>(name).Transport.Realtime!.Reconnect();
        Assert.Equal(DocumentChangeType.Reset, (await changes.NextAsync()).Type);
        await changes.ExpectAsync(DocumentChangeType.Added, "b");
        await docs.UpdateAsync("a", new { N = 1 }, cancellationToken: Token);
        await docs.UpdateAsync("b", new { N = 1 }, cancellationToken: Token);
        await changes.ExpectAsync(DocumentChangeType.Modified, "b");
    }

    [Fact]
    public async Task WatchAsync_AppUserSignsInAsAnother_ResetsToWhatTheNewUserSees()
    {
        var name = await fixture.NewCollectionAsync();
        var definition = new CollectionDefinition { Name = name, Rules = { ["list"] = "doc.owner == auth.id", ["get"] = "doc.owner == auth.id" } };
        await fixture.Client.Admin.Collections.UpdateAsync(definition, Token);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        using var app = fixture.CreateClient(o =>
        {
            o.ApiKey = null;
            o.Realtime.ReconnectDelay = TimeSpan.FromMilliseconds(20);
        });
        var ada = await app.Auth.SignUpAsync($"ada-{suffix}@test.local", "Ada-Passw0rd!", cancellationToken: Token);
        await app.Auth.SignOutAsync(Token);
        var bob = await app.Auth.SignUpAsync($"bob-{suffix}@test.local", "Bob-Passw0rd!", cancellationToken: Token);
        var docs = fixture.Client.Collection<Owned>(name);
        await docs.AddAsync(new Owned { Id = "a", Owner = ada.Id }, Token);
        await docs.AddAsync(new Owned { Id = "b", Owner = bob.Id }, Token);

        await using var changes = new WatchReader<Owned>(app.Collection<Owned>(name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "b");

        await app.Auth.SignInAsync($"ada-{suffix}@test.local", "Ada-Passw0rd!", Token);
        Assert.Equal(DocumentChangeType.Reset, (await changes.NextAsync()).Type);
        await changes.ExpectAsync(DocumentChangeType.Added, "a");
        await docs.UpdateAsync("b", new { N = 1 }, cancellationToken: Token);
        await docs.UpdateAsync("a", new { N = 1 }, cancellationToken: Token);
        await changes.ExpectAsync(DocumentChangeType.Modified, "a");
    }

    private string TokenFor(string user) => fixture.Server.Services.GetRequiredService<BaasTokenService>()
        .IssueUserToken(new UserTokenSubject(user, $"{user}@test.local", [], Anonymous: false, EmailVerified: true, SessionId: null)).AccessToken;
}
