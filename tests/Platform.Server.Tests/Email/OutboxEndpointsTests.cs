using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Email;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Email;

public class OutboxEndpointsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IEmailSender Sender => fixture.Server.Services.GetRequiredService<IEmailSender>();

    private static string NewRecipient() => $"u{Guid.NewGuid():N}@example.test";

    /// <summary>Every outbox item, newest first, by following cursors with a small page size.</summary>
    private static async Task<List<JsonObject>> ReadAllAsync(HttpClient client, int pageSize)
    {
        var items = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var url = $"/api/admin/outbox?limit={pageSize}" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            using var response = await client.GetAsync(url, Ct);
            var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;
            var batch = page["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
            Assert.True(batch.Count <= pageSize);
            items.AddRange(batch);
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return items;
    }

    [Fact]
    public async Task Outbox_ListsSentMessagesNewestFirst_ForAdmins()
    {
        var to = NewRecipient();
        await Sender.SendAsync(new EmailMessage(to, "first", "body one"), Ct);
        await Sender.SendAsync(new EmailMessage(to, "second", "body two"), Ct);
        await Sender.SendAsync(new EmailMessage(to, "third", "body three"), Ct);

        using var response = await fixture.Admin.GetAsync("/api/admin/outbox", Ct);
        var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;

        var mine = page["items"]!.AsArray().Select(i => i!.AsObject()).Where(i => i["to"]!.GetValue<string>() == to).ToList();
        Assert.Equal(["third", "second", "first"], mine.Select(i => i["subject"]!.GetValue<string>()));
        Assert.Equal("body three", mine[0]["body"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(mine[0]["id"]!.GetValue<string>()));
        Assert.True(DateTimeOffset.TryParse(mine[0]["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(["body", "createdAt", "id", "subject", "to"], mine[0].Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Outbox_PagesWithCursors_WithoutGapsOrRepeats_ForServiceKeys()
    {
        var to = NewRecipient();
        for (var i = 0; i < 5; i++)
        {
            await Sender.SendAsync(new EmailMessage(to, $"m{i}", "b"), Ct);
        }

        var all = await ReadAllAsync(fixture.Service, pageSize: 2);

        var ids = all.Select(i => i["id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(
            ["m4", "m3", "m2", "m1", "m0"],
            all.Where(i => i["to"]!.GetValue<string>() == to).Select(i => i["subject"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Outbox_Is401_WithoutCredentials()
    {
        using var anonymous = fixture.Server.CreateClient();

        using var response = await anonymous.GetAsync("/api/admin/outbox", Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
    }

    [Fact]
    public async Task Outbox_Is403_ForAnAppUser()
    {
        var tokens = fixture.Server.Services.GetRequiredService<BaasTokenService>();
        var token = tokens.IssueUserToken(new UserTokenSubject("user-1", "user@example.test", ["admin"], false, true, "s1"));
        using var user = fixture.Server.CreateClient();
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);

        using var response = await user.GetAsync("/api/admin/outbox", Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", response);
    }

    [Theory]
    [InlineData("limit=0", "invalid_limit", "limit")]
    [InlineData("limit=1001", "invalid_limit", "limit")]
    [InlineData("limit=ten", "invalid_limit", "limit")]
    [InlineData("cursor=not-a-cursor", "invalid_cursor", "cursor")]
    public async Task Outbox_Is400NamingTheParameter_ForBadPaging(string query, string code, string field)
    {
        using var response = await fixture.Admin.GetAsync("/api/admin/outbox?" + query, Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }
}

public class OutboxPruningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Outbox_KeepsOnlyTheNewestMessages_WhenOverTheLimit()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Email:OutboxLimit"] = "3" });
        var sender = server.Services.GetRequiredService<IEmailSender>();
        for (var i = 0; i < 5; i++)
        {
            await sender.SendAsync(new EmailMessage("someone@example.test", $"m{i}", "b"), Ct);
        }

        using var admin = await server.CreateAdminClientAsync(Ct);
        using var response = await admin.GetAsync("/api/admin/outbox", Ct);
        var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;

        Assert.Equal(["m4", "m3", "m2"], page["items"]!.AsArray().Select(i => i!["subject"]!.GetValue<string>()));
        Assert.Null(page["nextCursor"]);
    }
}
