using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Collections;
using Platform.Server.Rules;
using Platform.Server.Tests.Infrastructure;
using static Platform.Server.Tests.Documents.RulesServerFixture;

namespace Platform.Server.Tests.Documents;

/// <summary>Collection rules on the documents API, as app users, visitors and service keys meet them (DESIGN.md section 7).</summary>
public sealed class DocumentRulesTests(RulesServerFixture fixture) : IClassFixture<RulesServerFixture>
{
    private static readonly object OwnerRules = new { list = OwnerOnly, get = OwnerOnly, create = "auth != null", update = OwnerOnly, delete = OwnerOnly };

    [Fact]
    public async Task OwnerOnly_UsersListGetAndCountOnlyTheirOwn_AndCreatedByIsTheUser()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        var aliceId = NewUserId("alice");
        using var alice = fixture.User(aliceId);
        using var bob = fixture.User(NewUserId("bob"));

        var a1 = await CreateAsync(alice, c, """{ "title": "a1" }""");
        await CreateAsync(alice, c, """{ "title": "a2" }""");
        var b1 = await CreateAsync(bob, c, """{ "title": "b1" }""");
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "title": "by the service" }"""));
        Assert.Equal(aliceId, a1["_createdBy"]!.GetValue<string>());

        var aliceList = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.GetAsync($"{Docs(c)}?count=true&sort=title", ct));
        Assert.Equal(["a1", "a2"], Titles(aliceList!));
        Assert.Equal(2, aliceList!["count"]!.GetValue<int>());
        var bobList = await HttpAssert.StatusAsync(HttpStatusCode.OK, await bob.PostJsonAsync($"/api/collections/{c}/query", """{ "count": true }"""));
        Assert.Equal(["b1"], Titles(bobList!));
        Assert.Equal(1, bobList!["count"]!.GetValue<int>());
        var all = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Equal(4, all!["count"]!.GetValue<int>());

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.GetAsync($"{Docs(c)}/{Id(a1)}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await bob.GetAsync($"{Docs(c)}/{Id(a1)}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await alice.GetAsync($"{Docs(c)}/{Id(b1)}", ct));

        // A visitor: the list rule reduces to "nothing" (not 401), reads of hidden documents are 404, create is 401.
        using var visitor = fixture.Visitor();
        var visitorList = await HttpAssert.StatusAsync(HttpStatusCode.OK, await visitor.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Empty(visitorList!["items"]!.AsArray());
        Assert.Equal(0, visitorList["count"]!.GetValue<int>());
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await visitor.GetAsync($"{Docs(c)}/{Id(a1)}", ct));
        var denied = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.PostJsonAsync(Docs(c), """{ "title": "v" }"""));
        Assert.Equal("create", denied["operation"]!.GetValue<string>());
        Assert.Equal(c, denied["collection"]!.GetValue<string>());
    }

    [Fact]
    public async Task OwnerOnly_OthersCannotChangeOrDelete_HiddenDocumentsAnswerLikeMissingOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        using var alice = fixture.User(NewUserId("alice"));
        using var bob = fixture.User(NewUserId("bob"));
        using var visitor = fixture.Visitor();
        var doc = Id(await CreateAsync(alice, c, """{ "_id": "a", "n": 1, "s": "text" }"""));

        foreach (var client in new[] { bob, visitor })
        {
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await client.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/{doc}", """{ "n": 2 }"""));
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await client.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{doc}", """{ "n": 2 }"""));
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await client.DeleteAsync($"{Docs(c)}/{doc}", ct));

            // Neither a precondition nor an update that cannot apply reveals anything about a hidden document.
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await client.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{doc}", """{ "n": 2 }""", ifMatch: "\"7\""));
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await client.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{doc}", """{ "$inc": { "s": 1 } }"""));
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await client.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/{doc}?upsert=true", """{ "n": 2 }"""));
        }

        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/{doc}", ct));
        Assert.Equal(1, stored!["n"]!.GetValue<int>());
        Assert.Equal(1, stored["_version"]!.GetValue<long>());

        // The owner can: merge patch, operators, replace, a stale If-Match is 412 for them, delete.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{doc}", """{ "n": 2 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{doc}", """{ "$inc": { "n": 1 } }"""));
        var replaced = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/{doc}", """{ "n": 10 }""", ifMatch: "\"3\""));
        Assert.Equal(10, replaced!["n"]!.GetValue<int>());
        await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{doc}", """{ "n": 2 }""", ifMatch: "\"1\""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await alice.DeleteAsync($"{Docs(c)}/{doc}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await alice.DeleteAsync($"{Docs(c)}/{doc}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/{doc}", ct));
    }

    [Fact]
    public async Task Matrix_401_403_404_ByRuleCallerAndVisibility()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(
            new
            {
                list = "doc.public == true",
                get = "doc.public == true || (auth != null && doc._createdBy == auth.id)",
                create = "auth != null",
                update = OwnerOnly,

                // No delete rule: deleting is for service keys and admins only.
            },
            cancellationToken: ct);
        using var alice = fixture.User(NewUserId("alice"));
        using var bob = fixture.User(NewUserId("bob"));
        using var visitor = fixture.Visitor();
        await CreateAsync(alice, c, """{ "_id": "pub", "public": true }""");
        await CreateAsync(alice, c, """{ "_id": "priv", "public": false }""");

        var cases = new (string Who, HttpClient Client, HttpMethod Method, string Id, HttpStatusCode Expected)[]
        {
            ("alice", alice, HttpMethod.Get, "priv", HttpStatusCode.OK),
            ("bob", bob, HttpMethod.Get, "priv", HttpStatusCode.NotFound),
            ("visitor", visitor, HttpMethod.Get, "priv", HttpStatusCode.NotFound),
            ("bob", bob, HttpMethod.Get, "pub", HttpStatusCode.OK),
            ("visitor", visitor, HttpMethod.Get, "pub", HttpStatusCode.OK),
            ("bob", bob, HttpMethod.Get, "missing", HttpStatusCode.NotFound),

            // Visible but not theirs to change: 403 signed in, 401 signed out.
            ("bob", bob, HttpMethod.Patch, "pub", HttpStatusCode.Forbidden),
            ("visitor", visitor, HttpMethod.Patch, "pub", HttpStatusCode.Unauthorized),
            ("bob", bob, HttpMethod.Put, "pub", HttpStatusCode.Forbidden),

            // Not visible at all: 404, exactly like a missing document.
            ("bob", bob, HttpMethod.Patch, "priv", HttpStatusCode.NotFound),
            ("visitor", visitor, HttpMethod.Put, "priv", HttpStatusCode.NotFound),
            ("bob", bob, HttpMethod.Patch, "missing", HttpStatusCode.NotFound),

            // No delete rule: refused outright, before anything is read, whether the document exists or not.
            ("alice", alice, HttpMethod.Delete, "priv", HttpStatusCode.Forbidden),
            ("bob", bob, HttpMethod.Delete, "priv", HttpStatusCode.Forbidden),
            ("bob", bob, HttpMethod.Delete, "missing", HttpStatusCode.Forbidden),
            ("visitor", visitor, HttpMethod.Delete, "pub", HttpStatusCode.Unauthorized),
            ("visitor", visitor, HttpMethod.Delete, "missing", HttpStatusCode.Unauthorized),

            ("alice", alice, HttpMethod.Patch, "priv", HttpStatusCode.OK),
        };
        foreach (var (who, client, method, id, expected) in cases)
        {
            using var request = new HttpRequestMessage(method, $"{Docs(c)}/{id}");
            if (method != HttpMethod.Get && method != HttpMethod.Delete)
            {
                request.Content = new StringContent("""{ "public": true, "x": 1 }""", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.True(expected == response.StatusCode, $"{who} {method} {id}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
            var code = expected switch
            {
                HttpStatusCode.Unauthorized => "unauthenticated",
                HttpStatusCode.Forbidden => "forbidden",
                HttpStatusCode.NotFound => "not_found",
                _ => null,
            };
            if (code is not null)
            {
                Assert.True(JsonNode.Parse(body)?["code"]?.GetValue<string>() == code, $"{who} {method} {id}: expected code {code}: {body}");
            }
        }

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.PostJsonAsync(Docs(c), "{}"));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await bob.PostJsonAsync(Docs(c), "{}"));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Service.DeleteAsync($"{Docs(c)}/priv", ct));
    }

    [Fact]
    public async Task AbsentRules_AreRefusedToClients_401SignedOut_403SignedIn_ServiceKeysAndAdminsBypass()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(new { }, cancellationToken: ct);
        using var user = fixture.User(NewUserId("user"));
        using var visitor = fixture.Visitor();
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Docs(c), """{ "_id": "e" }"""));

        var list = await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.GetAsync(Docs(c), ct));
        Assert.Equal("list", list["operation"]!.GetValue<string>());
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.GetAsync(Docs(c), ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync($"/api/collections/{c}/query", "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.GetAsync($"{Docs(c)}/d", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.GetAsync($"{Docs(c)}/d", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync(Docs(c), "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/new?upsert=true", "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.DeleteAsync($"{Docs(c)}/d", ct));

        var all = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Equal(2, all!["count"]!.GetValue<int>());
        Assert.Null(all["items"]![0]!["_createdBy"]);
        Assert.Null(all["items"]![1]!["_createdBy"]);
    }

    [Fact]
    public async Task PublicRead_OwnerWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(
            new { list = "true", get = "true", create = "auth != null", update = OwnerOnly, delete = OwnerOnly },
            cancellationToken: ct);
        using var alice = fixture.User(NewUserId("alice"));
        using var bob = fixture.User(NewUserId("bob"));
        using var visitor = fixture.Visitor();
        var post = Id(await CreateAsync(alice, c, """{ "title": "hello" }"""));

        var list = await HttpAssert.StatusAsync(HttpStatusCode.OK, await visitor.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Equal(["hello"], Titles(list!));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await visitor.GetAsync($"{Docs(c)}/{post}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{post}", """{ "title": "x" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await bob.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{post}", """{ "title": "x" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await bob.DeleteAsync($"{Docs(c)}/{post}", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{post}", """{ "title": "edited" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await alice.DeleteAsync($"{Docs(c)}/{post}", ct));
    }

    [Fact]
    public async Task RoleBased_AdminRoleSeesAndDeletesAll_TeamRolesSeeTheirTeam()
    {
        var ct = TestContext.Current.CancellationToken;
        var rule = "\"admin\" in auth.roles || doc.team in auth.roles";
        var c = await fixture.NewCollectionWithRulesAsync(
            new { list = rule, get = rule, create = "auth != null && data.team in auth.roles", delete = "\"admin\" in auth.roles" },
            cancellationToken: ct);
        using var boss = fixture.User(NewUserId("boss"), roles: ["admin"]);
        using var red = fixture.User(NewUserId("red"), roles: ["red"]);
        using var blue = fixture.User(NewUserId("blue"), roles: ["blue", "green"]);
        using var visitor = fixture.Visitor();

        var r = Id(await CreateAsync(red, c, """{ "team": "red" }"""));
        await CreateAsync(blue, c, """{ "team": "blue" }""");
        await CreateAsync(blue, c, """{ "team": "green" }""");
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await red.PostJsonAsync(Docs(c), """{ "team": "blue" }"""));

        Assert.Equal(3, await CountAsync(boss, c));
        Assert.Equal(1, await CountAsync(red, c));
        Assert.Equal(2, await CountAsync(blue, c));
        Assert.Equal(0, await CountAsync(visitor, c));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await blue.GetAsync($"{Docs(c)}/{r}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await red.DeleteAsync($"{Docs(c)}/{r}", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await boss.DeleteAsync($"{Docs(c)}/{r}", ct));
    }

    [Fact]
    public async Task VerifiedOnly_UnverifiedAndAnonymousUsersSeeNothing_AndCannotCreate()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(
            new { list = "auth.verified == true", get = "auth.verified == true", create = "auth.verified == true && auth.anonymous != true" },
            cancellationToken: ct);
        using var verified = fixture.User(NewUserId("ver"), verified: true);
        using var unverified = fixture.User(NewUserId("unver"), verified: false);
        using var guest = fixture.User(NewUserId("guest"), verified: false, anonymous: true);
        var d = Id(await CreateAsync(verified, c, """{ "n": 1 }"""));

        Assert.Equal(1, await CountAsync(verified, c));
        Assert.Equal(0, await CountAsync(unverified, c));
        Assert.Equal(0, await CountAsync(guest, c));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await unverified.GetAsync($"{Docs(c)}/{d}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await unverified.PostJsonAsync(Docs(c), "{}"));

        // An anonymous account is signed in: refused with 403, not 401.
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await guest.PostJsonAsync(Docs(c), "{}"));
    }

    [Fact]
    public async Task Rules_SeeNowAsTheCurrentTime()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(new { list = "doc.publishAt <= now", get = "doc.publishAt <= now" }, cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "past", "publishAt": "2001-01-01T00:00:00.000Z" }""");
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "future", "publishAt": "2999-01-01T00:00:00.000Z" }""");
        using var visitor = fixture.Visitor();

        var list = await HttpAssert.StatusAsync(HttpStatusCode.OK, await visitor.GetAsync(Docs(c), ct));
        Assert.Equal(["past"], list!["items"]!.AsArray().Select(d => d!["_id"]!.GetValue<string>()));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await visitor.GetAsync($"{Docs(c)}/past", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await visitor.GetAsync($"{Docs(c)}/future", ct));
    }

    [Fact]
    public async Task UpdateRule_SeesStoredDocAndResultingData()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(
            new
            {
                list = OwnerOnly,
                get = OwnerOnly,
                create = "auth != null && data.status == 'draft' && data._createdBy == auth.id && data._version == 1",
                update = OwnerOnly + " && doc.status != 'locked' && data.status in ['draft', 'published', 'locked']",
            },
            cancellationToken: ct);
        using var alice = fixture.User(NewUserId("alice"));
        var d = Id(await CreateAsync(alice, c, """{ "status": "draft" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.PostJsonAsync(Docs(c), """{ "status": "published" }"""));

        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{d}", """{ "status": "deleted" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{d}", """{ "$set": { "status": "deleted" } }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/{d}", """{ "title": "no status" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{d}", """{ "status": "locked" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/{d}", """{ "status": "draft" }"""));

        // Upsert of a missing document is a create, so the create rule decides.
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/new?upsert=true", """{ "status": "locked" }"""));
        var upserted = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/new?upsert=true", """{ "status": "draft" }"""));
        Assert.Equal(1, upserted!["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeniedCreate_IsRefusedBeforeTheSchemaIsChecked()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "r" + Guid.NewGuid().ToString("N")[..12];
        using var define = await fixture.Admin.PostAsync(
            "/api/admin/collections",
            new StringContent($$"""{ "name": "{{name}}", "schema": { "type": "object", "required": ["title"] }, "rules": { "create": "auth != null" } }""", System.Text.Encoding.UTF8, "application/json"),
            ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, define);
        using var visitor = fixture.Visitor();
        using var user = fixture.User(NewUserId("u"));

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.PostJsonAsync(Docs(name), "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await user.PostJsonAsync(Docs(name), "{}"));
    }

    [Fact]
    public async Task UndefinedCollections_AreNotFoundForClients()
    {
        var ct = TestContext.Current.CancellationToken;
        using var user = fixture.User(NewUserId("u"));
        using var visitor = fixture.Visitor();
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await user.GetAsync("/api/collections/not-defined/documents", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await visitor.PostJsonAsync("/api/collections/not-defined/documents", "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await user.GetAsync("/api/collections/not-defined/documents/x", ct));
    }

    [Fact]
    public async Task AutoCreate_StaysPrivileged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Collections:AutoCreate"] = "true" });
        using var admin = await server.CreateAdminClientAsync(ct);
        using var visitor = server.CreateClient();

        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await visitor.PostJsonAsync("/api/collections/auto-visitor/documents", "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await visitor.GetAsync("/api/collections/auto-visitor/documents", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await admin.GetAsync("/api/admin/collections/auto-visitor", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await admin.PostJsonAsync("/api/collections/auto-admin/documents", "{}"));
    }

    [Fact]
    public async Task Rules_AreCompiledOncePerDefinition_AndAChangeAppliesAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(new { list = "false" }, cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }""");
        using var visitor = fixture.Visitor();
        Assert.Equal(0, await CountAsync(visitor, c));

        var registry = fixture.Server.Services.GetRequiredService<CollectionRegistry>();
        var before = await registry.FindAsync(c, ct);
        Assert.Same(before!.Rules, (await registry.FindAsync(c, ct))!.Rules);

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"/api/admin/collections/{c}", """{ "rules": { "list": "true" } }"""));
        Assert.Equal(1, await CountAsync(visitor, c));
        Assert.NotSame(before.Rules, (await registry.FindAsync(c, ct))!.Rules);
        Assert.Equal("true", (await registry.FindAsync(c, ct))!.Rules[RuleOperation.List]!.Text);
    }

    [Fact]
    public async Task SignedUpUsers_OwnWhatTheyCreate_AndAnEndedSessionIs401()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        var (carolId, carol) = await SignUpAsync("carol");
        var (_, dave) = await SignUpAsync("dave");
        using (carol)
        using (dave)
        {
            var doc = await CreateAsync(carol, c, """{ "title": "carol's" }""");
            Assert.Equal(carolId, doc["_createdBy"]!.GetValue<string>());
            Assert.Equal(1, await CountAsync(carol, c));
            Assert.Equal(0, await CountAsync(dave, c));
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await dave.GetAsync($"{Docs(c)}/{Id(doc)}", ct));

            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await carol.PostJsonAsync("/api/auth/logout", "{}"));
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await carol.GetAsync(Docs(c), ct));
        }
    }

    private async Task<(string Id, HttpClient Client)> SignUpAsync(string name)
    {
        using var anonymous = fixture.Visitor();
        var email = $"{NewUserId(name)}@example.test";
        var session = await HttpAssert.StatusAsync(HttpStatusCode.Created, await anonymous.PostJsonAsync("/api/auth/signup", $$"""{ "email": "{{email}}", "password": "Sign-up-Passw0rd!" }"""));
        return (session!["user"]!["id"]!.GetValue<string>(), fixture.WithBearer(session["accessToken"]!.GetValue<string>()));
    }

    private static async Task<JsonObject> CreateAsync(HttpClient client, string collection, string json) =>
        (await HttpAssert.StatusAsync(HttpStatusCode.Created, await client.PostJsonAsync(Docs(collection), json)))!;

    private static async Task<int> CountAsync(HttpClient client, string collection)
    {
        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await client.GetAsync($"{Docs(collection)}?count=true&limit=1000", TestContext.Current.CancellationToken));
        var count = result!["count"]!.GetValue<int>();
        Assert.Equal(count, result["items"]!.AsArray().Count);
        return count;
    }

    private static string Id(JsonObject doc) => doc["_id"]!.GetValue<string>();

    private static string[] Titles(JsonObject list) => [.. list["items"]!.AsArray().Select(d => d!["title"]!.GetValue<string>())];
}
