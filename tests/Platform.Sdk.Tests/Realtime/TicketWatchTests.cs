using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Sdk.Tests.Realtime;

/// <summary>
/// <see cref="BaasRealtimeOptions.UseTickets"/> forced on outside a browser: every (re)connection asks for a one-use
/// ticket and opens the websocket with it, and watching, reconnecting and resuming work as with the token itself.
/// </summary>
public sealed class TicketWatchTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private const string TicketsCollection = "_realtime_tickets";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WatchAsync_WithTickets_ConnectsReconnectsAndResumes_WithANewTicketEachTime()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "start" }, Token);
        await using var proxy = new TcpProxy(fixture.BaseUrl);
        var requests = new RequestLog();
        using var watcher = fixture.CreateClient(o =>
        {
            o.ApiKey = null;
            o.BaseUrl = proxy.BaseUrl;
            o.HttpMessageHandler = requests;
            o.Realtime.UseTickets = true;
            o.Realtime.ReconnectDelay = TimeSpan.FromMilliseconds(20);
            o.Realtime.MaxReconnectDelay = TimeSpan.FromMilliseconds(200);
        });
        await watcher.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Token);
        var spentBefore = await SpentTicketsAsync();

        await using var changes = new WatchReader<Item>(watcher.Collection<Item>(items.Name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "start");

        // Cut the connection twice while writing: each reconnect resumes after the last change, nothing lost or repeated.
        for (var cut = 0; cut < 2; cut++)
        {
            await items.AddAsync(new Item { Id = $"before{cut}" }, Token);
            await changes.ExpectAsync(DocumentChangeType.Added, $"before{cut}");
            proxy.Cut();
            await items.AddAsync(new Item { Id = $"during{cut}" }, Token);
            await changes.ExpectAsync(DocumentChangeType.Added, $"during{cut}");
        }

        await items.AddAsync(new Item { Id = "end" }, Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "end");

        // Three connections at least, each opened with a ticket of its own that the server then marked spent.
        Assert.True(requests.Tickets >= 3, $"{requests.Tickets} ticket requests");
        Assert.True(await SpentTicketsAsync() - spentBefore >= 3, "the connections were not opened with tickets");
    }

    [Fact]
    public async Task WatchAsync_AsAnAppUser_WithTickets_RunsUnderTheUsersRules()
    {
        var name = await fixture.NewCollectionAsync();
        await fixture.Client.Admin.Collections.UpdateAsync(new CollectionDefinition { Name = name, Rules = { ["list"] = "doc.owner == auth.id" } }, Token);
        using var app = fixture.CreateClient(o =>
        {
            o.ApiKey = null;
            o.Realtime.UseTickets = true;
        });
        var user = await app.Auth.SignUpAsync($"t{Guid.NewGuid():N}@test.local", "Ticket-Passw0rd!", cancellationToken: Token);
        var docs = fixture.Client.Collection<Owned>(name);
        await docs.AddAsync(new Owned { Id = "theirs", Owner = "someone-else" }, Token);
        await docs.AddAsync(new Owned { Id = "mine", Owner = user.Id }, Token);

        // The snapshot and the live changes are what the user's list rule lets through, nothing of someone else's.
        await using var changes = new WatchReader<Owned>(app.Collection<Owned>(name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "mine");
        await docs.AddAsync(new Owned { Id = "theirs-later", Owner = "someone-else" }, Token);
        await docs.AddAsync(new Owned { Id = "mine-later", Owner = user.Id }, Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "mine-later");
    }

    [Fact]
    public async Task WatchAsync_OutsideABrowser_SendsTheTokenItself_ByDefault()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        var requests = new RequestLog();
        using var admin = fixture.CreateClient(o =>
        {
            o.ApiKey = null;
            o.HttpMessageHandler = requests;
        });
        await admin.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Token);

        await using var changes = new WatchReader<Item>(admin.Collection<Item>(items.Name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await items.AddAsync(new Item { Id = "seen" }, Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "seen");

        Assert.Equal(0, requests.Tickets);
    }

    private async Task<long> SpentTicketsAsync() =>
        await fixture.Server.Services.GetRequiredService<IDocumentStore>()
            .CountAsync(TicketsCollection, new FieldNode("usedAt", FieldOperator.Ne, System.Text.Json.JsonSerializer.SerializeToElement<object?>(null)), Token);

    /// <summary>Counts the client's requests for realtime tickets (the hub connection itself does not pass through it).</summary>
    private sealed class RequestLog() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _tickets;

        public int Tickets => Volatile.Read(ref _tickets);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/api/realtime/ticket", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _tickets);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
