using System.Security.Claims;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Realtime;
using Platform.Server.Storage;
using Platform.Server.Tests.Auth;
using Platform.Server.Tests.Storage;
using Platform.Server.Tests.Storage.Mongo;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// A ticket's one use holds across nodes (docs/realtime.md, "Tickets"): two <see cref="RealtimeTickets"/> on one store
/// stand for two nodes behind a load balancer. Run on every provider through one empty subclass each.
/// </summary>
public abstract class RealtimeTicketStoreTests(IStoreFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly SessionSwitch _sessions = new();

    private IDocumentStore Store
    {
        get
        {
            if (fixture.SkipReason is { } reason)
            {
                Assert.Skip(reason);
            }

            return fixture.Store;
        }
    }

    [Fact]
    public async Task Ticket_IsSpentOnce_WhicheverNodeRedeemsIt()
    {
        var (one, other) = (Node(), Node());
        var ticket = await one.IssueAsync(User("erin"), DateTimeOffset.UtcNow.AddHours(1), Ct);

        // A negotiate only looks, on any node; the connection spends it; a replay on the other node is refused.
        Assert.NotNull((await other.RedeemAsync(ticket.Ticket, use: false, Ct)).Principal);
        var spent = await other.RedeemAsync(ticket.Ticket, use: true, Ct);
        var replay = await one.RedeemAsync(ticket.Ticket, use: true, Ct);

        Assert.Equal("erin", spent.Principal!.GetBaasCaller()!.Id);
        Assert.Equal(DateTimeOffset.UtcNow.AddHours(1), spent.ConnectionExpires!.Value, TimeSpan.FromSeconds(5));
        Assert.Null(replay.Principal);
        Assert.Contains("used already", replay.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentRedemptions_OnTwoNodes_SpendTheTicketExactlyOnce()
    {
        var nodes = new[] { Node(), Node() };
        for (var round = 0; round < 5; round++)
        {
            var ticket = await nodes[0].IssueAsync(User("finn"), null, Ct);
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => nodes[i % 2].RedeemAsync(ticket.Ticket, use: true, Ct), Ct)));
            Assert.Single(outcomes, o => o.Principal is not null);
        }
    }

    [Fact]
    public async Task Ticket_CarriesTheIdentity_AndIsRefusedOnceItsSessionEnds()
    {
        var node = Node();
        var user = User("gail", "sid-1", ("email", "gail@test.local"), ("roles", "editor"), ("roles", "viewer"));
        var kept = await node.IssueAsync(user, null, Ct);
        var revoked = await node.IssueAsync(user, null, Ct);

        var caller = (await node.RedeemAsync(kept.Ticket, use: true, Ct)).Principal!.GetBaasCaller()!;
        _sessions.Active = false;
        var refused = await node.RedeemAsync(revoked.Ticket, use: true, Ct);

        Assert.Equal(("gail", "sid-1", "gail@test.local"), (caller.Id, caller.SessionId, caller.Email));
        Assert.Equal(["editor", "viewer"], caller.Roles);
        Assert.Null(refused.Principal);
        Assert.Contains("session", refused.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredTickets_AreRefused_AndTheirRecordsRemoved()
    {
        var node = Node();
        var late = await node.IssueAsync(User("hana"), null, Ct);
        var lifetime = new RealtimeOptions().TicketLifetime;
        _clock.Advance(lifetime + BaasTokenService.ClockSkew);
        var fresh = await node.IssueAsync(User("hana"), null, Ct);

        var refused = await node.RedeemAsync(late.Ticket, use: true, Ct);
        Assert.Contains("expired", refused.Refusal, StringComparison.Ordinal);

        // The sweep waits a further clock tolerance, then takes the expired record and leaves the fresh one.
        _clock.Advance(BaasTokenService.ClockSkew + TimeSpan.FromSeconds(1));
        Assert.True(await node.RemoveExpiredAsync(pageSize: 1, Ct) >= 1);
        Assert.Contains("not valid", (await node.RedeemAsync(late.Ticket, use: false, Ct)).Refusal, StringComparison.Ordinal);
        Assert.NotNull((await node.RedeemAsync(fresh.Ticket, use: true, Ct)).Principal);
    }

    [Fact]
    public async Task MalformedOrUnknownTickets_AreRefused()
    {
        var node = Node();
        await node.IssueAsync(User("ivan"), null, Ct);
        foreach (var ticket in new[] { "baas_rt_", "baas_rt_short", BaasAuthSchemes.RealtimeTicketPrefix + new string('x', 43), "eyJhbGciOiJIUzI1NiJ9" })
        {
            var outcome = await node.RedeemAsync(ticket, use: true, Ct);
            Assert.Null(outcome.Principal);
            Assert.Contains("not valid", outcome.Refusal, StringComparison.Ordinal);
        }
    }

    private RealtimeTickets Node() => new(Store, new CallerSessions([_sessions]), Options.Create(new RealtimeOptions()), _clock);

    private static ClaimsPrincipal User(string id, string? sessionId = null, params (string Type, string Value)[] more)
    {
        var claims = new List<Claim> { new(BaasClaimTypes.Subject, id), new("aud", BaasAudiences.User) };
        if (sessionId is not null)
        {
            claims.Add(new Claim(BaasClaimTypes.SessionId, sessionId));
        }

        claims.AddRange(more.Select(c => new Claim(c.Type, c.Value)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "Bearer", BaasClaimTypes.Subject, BaasClaimTypes.Role));
    }

    private sealed class SessionSwitch : ICallerSessionCheck
    {
        public bool Active { get; set; } = true;

        public BaasCallerKind Kind => BaasCallerKind.User;

        public Task<bool> IsActiveAsync(BaasCaller caller, bool fresh, CancellationToken cancellationToken = default) => Task.FromResult(Active);
    }
}

public sealed class SqliteRealtimeTicketStoreTests(SqliteStoreFixture fixture)
    : RealtimeTicketStoreTests(fixture), IClassFixture<SqliteStoreFixture>;

public sealed class MongoRealtimeTicketStoreTests(MongoStoreFixture fixture)
    : RealtimeTicketStoreTests(fixture), IClassFixture<MongoStoreFixture>;

/// <summary>A node that never issued a ticket: its sweep and a presented ticket find no collection, and neither fails.</summary>
public sealed class RealtimeTicketFreshStoreTests
{
    [Fact]
    public async Task WithoutTheTicketsCollection_TheSweepRemovesNothing_AndATicketIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "tickets-" + Guid.NewGuid().ToString("N"));
        using (var store = SqliteStoreFixture.Open(dataDir))
        {
            await store.InitializeAsync(ct);
            var tickets = new RealtimeTickets(store, new CallerSessions([]), Options.Create(new RealtimeOptions()), TimeProvider.System);

            Assert.Equal(0, await tickets.RemoveExpiredAsync(pageSize: 10, ct));
            var outcome = await tickets.RedeemAsync(BaasAuthSchemes.RealtimeTicketPrefix + new string('A', 43), use: true, ct);
            Assert.Contains("not valid", outcome.Refusal, StringComparison.Ordinal);
        }

        Directory.Delete(dataDir, recursive: true);
    }
}
