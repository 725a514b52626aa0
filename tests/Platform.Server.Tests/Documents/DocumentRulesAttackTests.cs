using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Auth;
using Platform.Server.Tests.Infrastructure;
using static Platform.Server.Tests.Documents.RulesServerFixture;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// Attempts to get around collection rules: through batches, queries (projection, filters, count, cursors),
/// system fields in write bodies, forged tokens and user roles that look like admin.
/// </summary>
public sealed class DocumentRulesAttackTests(RulesServerFixture fixture) : IClassFixture<RulesServerFixture>
{
    private static readonly object OwnerRules = new { list = OwnerOnly, get = OwnerOnly, create = "auth != null", update = OwnerOnly, delete = OwnerOnly };

    [Fact]
    public async Task Create_WithTheIdOfADocumentTheCallerCannotSee_AnswersOnlyThatTheIdIsTaken_AfterTheRules()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        var bobId = NewUserId("bob");
        using var alice = fixture.User(NewUserId("alice"));
        using var bob = fixture.User(bobId);
        using var visitor = fixture.Visitor();
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await bob.PostJsonAsync(Docs(c), """{ "_id": "bobs", "secret": "s3" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await alice.PostJsonAsync(Docs(c), """{ "_id": "alices", "n": 1 }"""));

        // The rules come first: a caller the create rule refuses learns nothing about the id, taken or not.
        var refusedTaken = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.PostJsonAsync(Docs(c), """{ "_id": "bobs" }"""));
        var refusedFree = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.PostJsonAsync(Docs(c), """{ "_id": "free" }"""));
        Assert.Equal(Shape(refusedFree), Shape(refusedTaken));

        // A caller who may create learns that the id is taken (any answer but 201 says so, as Firestore's ALREADY_EXISTS
        // and a Postgres unique violation under row security do), and nothing else: the same answer for a document it
        // cannot see as for its own, with no version, owner or content of it.
        using var hiddenResponse = await alice.PostJsonAsync(Docs(c), """{ "_id": "bobs", "n": 2 }""");
        var hidden = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "already_exists", hiddenResponse);
        var own = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "already_exists", await alice.PostJsonAsync(Docs(c), """{ "_id": "alices", "n": 2 }"""));
        Assert.Equal(Shape(own), Shape(hidden));
        Assert.Equal("_id", hidden["field"]!.GetValue<string>());
        Assert.Null(hiddenResponse.Headers.ETag);
        Assert.DoesNotContain("s3", hidden.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(bobId, hidden.ToJsonString(), StringComparison.Ordinal);

        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/bobs", ct));
        Assert.Equal((1L, "s3"), (stored!["_version"]!.GetValue<long>(), stored["secret"]!.GetValue<string>()));

        // The members of a problem and its text with the id taken out, so two answers compare as the same.
        static string Shape(JsonObject problem) =>
            string.Join(",", problem.Where(p => p.Key != "traceId").Select(p => p.Key + "=" + p.Value?.ToJsonString().Replace("bobs", "ID", StringComparison.Ordinal).Replace("alices", "ID", StringComparison.Ordinal).Replace("free", "ID", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Batch_WithOneDeniedOp_FailsWhole_NamesTheOp_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        var open = await fixture.NewCollectionWithRulesAsync(new { list = "true", get = "true", create = "true" }, cancellationToken: ct);
        using var alice = fixture.User(NewUserId("alice"));
        using var bob = fixture.User(NewUserId("bob"));
        using var visitor = fixture.Visitor();
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await bob.PostJsonAsync(Docs(c), """{ "_id": "bobs", "n": 1 }"""));

        // Allowed create, then an update of someone else's (hidden) document: 404 at op 1.
        var hidden = await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await alice.PostJsonAsync("/api/batch", $$"""
            { "ops": [
              { "op": "create", "collection": "{{c}}", "data": { "_id": "mine" } },
              { "op": "patch", "collection": "{{c}}", "id": "bobs", "data": { "n": 2 } } ] }
            """));
        Assert.Equal(1, hidden["opIndex"]!.GetValue<int>());

        // Allowed ops, then one whose collection has no rule for it: 403 at op 2.
        var absent = await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await alice.PostJsonAsync("/api/batch", $$"""
            { "ops": [
              { "op": "create", "collection": "{{c}}", "data": { "_id": "mine" } },
              { "op": "create", "collection": "{{open}}", "data": { "_id": "o1" } },
              { "op": "delete", "collection": "{{open}}", "id": "o1" } ] }
            """));
        Assert.Equal(2, absent["opIndex"]!.GetValue<int>());
        Assert.Equal("delete", absent["operation"]!.GetValue<string>());

        // A visitor: the open create is fine, the owner-only create is 401 at op 1.
        var signedOut = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await visitor.PostJsonAsync("/api/batch", $$"""
            { "ops": [
              { "op": "create", "collection": "{{open}}", "data": { "_id": "o2" } },
              { "op": "create", "collection": "{{c}}", "data": { "_id": "v" } } ] }
            """));
        Assert.Equal(1, signedOut["opIndex"]!.GetValue<int>());

        // Deleting someone else's document after creating one's own: 404 at op 1.
        var delete = await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await alice.PostJsonAsync("/api/batch", $$"""
            { "ops": [
              { "op": "create", "collection": "{{c}}", "data": { "_id": "mine" } },
              { "op": "delete", "collection": "{{c}}", "id": "bobs" } ] }
            """));
        Assert.Equal(1, delete["opIndex"]!.GetValue<int>());

        var all = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Equal(["bobs"], all!["items"]!.AsArray().Select(d => d!["_id"]!.GetValue<string>()));
        Assert.Equal(1, all["items"]![0]!["n"]!.GetValue<int>());
        var openDocs = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(open)}?count=true", ct));
        Assert.Equal(0, openDocs!["count"]!.GetValue<int>());

        // The same user's allowed batch goes through: later ops see earlier ones, also under rules.
        var ok = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.PostJsonAsync("/api/batch", $$"""
            { "ops": [
              { "op": "create", "collection": "{{c}}", "data": { "_id": "mine", "_createdBy": "bobs-id" } },
              { "op": "patch", "collection": "{{c}}", "id": "mine", "data": { "$inc": { "n": 1 } } },
              { "op": "delete", "collection": "{{c}}", "id": "mine" },
              { "op": "create", "collection": "{{c}}", "data": { "_id": "kept" } } ] }
            """));
        Assert.Equal([201, 200, 204, 201], ok!["results"]!.AsArray().Select(r => r!["status"]!.GetValue<int>()));
        Assert.StartsWith("alice-", ok["results"]![0]!["document"]!["_createdBy"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queries_DoNotLeakHiddenDocuments_ThroughProjectionFiltersCountOrCursors()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, indexes: [new { fields = new[] { "rank" } }], cancellationToken: ct);
        var aliceId = NewUserId("alice");
        using var alice = fixture.User(aliceId);
        using var bob = fixture.User(NewUserId("bob"));
        for (var i = 0; i < 6; i++)
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, await alice.PostJsonAsync(Docs(c), $$"""{ "_id": "a{{i}}", "rank": {{i * 2}}, "secret": "alice-secret" }"""));
            await HttpAssert.StatusAsync(HttpStatusCode.Created, await bob.PostJsonAsync(Docs(c), $$"""{ "_id": "b{{i}}", "rank": {{(i * 2) + 1}}, "secret": "bob-secret" }"""));
        }

        // Projection selects fields of visible documents only.
        var projected = await ItemsAsync(bob, $"{Docs(c)}?fields=secret&limit=100");
        Assert.All(projected, d => Assert.Equal("bob-secret", d["secret"]!.GetValue<string>()));
        Assert.Equal(6, projected.Count);

        // Filters on hidden documents' fields, on _createdBy, or that try to widen the rule with $or, find nothing more.
        foreach (var filter in new[]
        {
            """{"secret":"alice-secret"}""",
            $$"""{"_createdBy":"{{aliceId}}"}""",
            $$$"""{"$or":[{"_createdBy":"{{{aliceId}}}"},{"secret":{"$exists":true}}]}""",
            """{"$nor":[{"secret":"bob-secret"}]}""",
            """{"_id":{"$in":["a0","a1","a2"]}}""",
        })
        {
            var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await bob.GetAsync($"{Docs(c)}?count=true&filter={Uri.EscapeDataString(filter)}", ct));
            var ids = result!["items"]!.AsArray().Select(d => d!["_id"]!.GetValue<string>()).ToList();
            Assert.True(ids.All(id => id.StartsWith('b')), $"filter {filter} returned {string.Join(",", ids)}");
            Assert.Equal(ids.Count, result["count"]!.GetValue<int>());
            var body = await HttpAssert.StatusAsync(HttpStatusCode.OK, await bob.PostJsonAsync($"/api/collections/{c}/query", $$"""{ "filter": {{filter}}, "count": true }"""));
            Assert.Equal(ids, body!["items"]!.AsArray().Select(d => d!["_id"]!.GetValue<string>()));
            Assert.Equal(ids.Count, body["count"]!.GetValue<int>());
        }

        // Paging: every page re-applies the rule; alice's cursor in bob's hands pages through bob's documents only.
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await bob.GetAsync($"{Docs(c)}?sort=rank&limit=2{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", ct));
            seen.AddRange(page!["items"]!.AsArray().Select(d => d!["_id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(["b0", "b1", "b2", "b3", "b4", "b5"], seen);

        var alicePage = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.GetAsync($"{Docs(c)}?sort=rank&limit=1", ct));
        Assert.Equal("a0", alicePage!["items"]![0]!["_id"]!.GetValue<string>());
        var aliceCursor = alicePage["nextCursor"]!.GetValue<string>();
        var withStolenCursor = await ItemsAsync(bob, $"{Docs(c)}?sort=rank&limit=100&cursor={Uri.EscapeDataString(aliceCursor)}");
        Assert.Equal(["b0", "b1", "b2", "b3", "b4", "b5"], withStolenCursor.Select(d => d["_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task SystemFieldsInWriteBodies_CannotChangeOwnershipOrVersions()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        var aliceId = NewUserId("alice");
        var bobId = NewUserId("bob");
        using var alice = fixture.User(aliceId);
        using var bob = fixture.User(bobId);

        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await alice.PostJsonAsync(Docs(c), $$"""
            { "_id": "d", "_createdBy": "{{bobId}}", "_version": 99, "_createdAt": "2000-01-01T00:00:00.000Z", "n": 1 }
            """));
        Assert.Equal(aliceId, created!["_createdBy"]!.GetValue<string>());
        Assert.Equal(1, created["_version"]!.GetValue<long>());
        Assert.NotEqual("2000-01-01T00:00:00.000Z", created["_createdAt"]!.GetValue<string>());

        var replaced = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", $$"""{ "_createdBy": "{{bobId}}", "_version": 50, "n": 2 }"""));
        Assert.Equal(aliceId, replaced!["_createdBy"]!.GetValue<string>());
        Assert.Equal(2, replaced["_version"]!.GetValue<long>());
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "id_mismatch", await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", """{ "_id": "other", "n": 3 }"""));

        var patched = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", $$"""{ "_createdBy": "{{bobId}}", "_version": 1, "n": 3 }"""));
        Assert.Equal(aliceId, patched!["_createdBy"]!.GetValue<string>());
        Assert.Equal(3, patched["_version"]!.GetValue<long>());

        var set = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_update", await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", $$"""{ "$set": { "_createdBy": "{{bobId}}" } }"""));
        Assert.Equal("_createdBy", set["field"]!.GetValue<string>());
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_update", await alice.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "$unset": { "_createdBy": "" } }"""));

        // Upsert creates as the caller, whatever the body says; an upsert body cannot claim someone else's id either.
        var upserted = await HttpAssert.StatusAsync(HttpStatusCode.OK, await alice.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/u?upsert=true", $$"""{ "_createdBy": "{{bobId}}" }"""));
        Assert.Equal(aliceId, upserted!["_createdBy"]!.GetValue<string>());

        // Bob still sees nothing of alice's, and the service key sees alice as the owner.
        Assert.Empty(await ItemsAsync(bob, Docs(c)));
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
        Assert.Equal(aliceId, stored!["_createdBy"]!.GetValue<string>());
        Assert.Equal(3, stored["n"]!.GetValue<int>());
    }

    public static TheoryData<string> ForgedTokens() => new("alg none", "tampered payload", "other signing key", "expired", "garbage", "foreign audience");

    [Theory]
    [MemberData(nameof(ForgedTokens))]
    public async Task ForgedTokens_Are401_NeverAnonymous(string kind)
    {
        var ct = TestContext.Current.CancellationToken;

        // Public-read: an anonymous visitor would get 200, so anything but 401 means the token was ignored.
        var c = await fixture.NewCollectionWithRulesAsync(new { list = "true", get = "true", create = "true" }, cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }""");
        var token = Forge(kind);
        using var client = fixture.WithBearer(token);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.GetAsync(Docs(c), ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.GetAsync($"{Docs(c)}/d", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.PostJsonAsync(Docs(c), "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.PostJsonAsync($"/api/collections/{c}/query", "{}"));
        using var batch = await client.PostJsonAsync("/api/batch", $$"""{ "ops": [ { "op": "create", "collection": "{{c}}", "data": {} } ] }""");
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", batch);
        Assert.Contains("invalid_token", batch.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var count = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Equal(1, count!["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    [InlineData("Bearer")]
    [InlineData("Bearer    ")]
    [InlineData("Token abc")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.x")]
    public async Task MalformedAuthorizationHeaders_Are401_NeverAnonymous(string header)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(new { list = "true", get = "true" }, cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }""");
        using var client = fixture.Visitor();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Docs(c)}/d");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", header));

        using var response = await client.SendAsync(request, ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
        Assert.Contains("Bearer <access token>", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        // Without the header the same visitor reads the public document.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await client.GetAsync($"{Docs(c)}/d", ct));
    }

    [Fact]
    public async Task InvalidServiceKey_Is401_NeverAnonymous()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(new { list = "true" }, cancellationToken: ct);
        using var client = fixture.Visitor();
        client.DefaultRequestHeaders.Add("X-Api-Key", "baas_sk_not-a-real-key");
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.GetAsync(Docs(c), ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.PostJsonAsync("/api/batch", "{}"));
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("user")]
    public async Task ServiceKeyBesideABearerToken_Is401_NeverTheKeysAccess(string token)
    {
        // A valid service key must not cover for a token sent with it: a forged one would be ignored, and a server acting
        // for a user would get the key's rule-free access instead of the user's.
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(OwnerRules, cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }""");
        var key = fixture.Service.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        using var client = token == "user" ? fixture.User(NewUserId("both")) : fixture.Visitor();
        if (token == "forged")
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + Forge("expired"));
        }

        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.GetAsync($"{Docs(c)}/d", ct));
        Assert.Contains("not both", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await client.DeleteAsync($"{Docs(c)}/d", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
    }

    [Fact]
    public async Task UserWithAdminRole_HasNoAdminPower_AndIsSubjectToRules()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionWithRulesAsync(new { list = "'admin' in auth.roles" }, cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }""");
        using var user = fixture.User(NewUserId("root"), roles: ["admin", "service"]);

        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.GetAsync("/api/admin/collections", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync("/api/admin/apikeys", """{ "name": "mine" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync("/api/admin/collections", $$"""{ "name": "{{c}}x" }"""));

        // Rules see the role, but the user is still an app user: no get, delete or create rule means 403.
        Assert.Single(await ItemsAsync(user, Docs(c)));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.GetAsync($"{Docs(c)}/d", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.DeleteAsync($"{Docs(c)}/d", ct));
        var created = await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync(Docs(c), "{}"));
        Assert.Equal("create", created["operation"]!.GetValue<string>());
    }

    private string Forge(string kind)
    {
        var services = fixture.Server.Services;
        var issuer = services.GetRequiredService<IOptions<AuthOptions>>().Value.Issuer;
        var key = services.GetRequiredService<SigningKeyProvider>().Current;
        var valid = services.GetRequiredService<BaasTokenService>()
            .IssueUserToken(new UserTokenSubject("victim", "victim@example.test", [], false, true, null)).AccessToken;
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = "victim", ["roles"] = Array.Empty<string>(), ["anon"] = false, ["email_verified"] = true };
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        string Sign(SecurityKey signingKey, string audience, DateTime expires) => handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = expires.AddMinutes(-15),
            NotBefore = expires.AddMinutes(-15),
            Expires = expires,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.HmacSha256),
        });

        switch (kind)
        {
            case "alg none":
                var parts = valid.Split('.');
                return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";
            case "tampered payload":
                var segments = valid.Split('.');
                var payload = JsonNode.Parse(Base64UrlEncoder.Decode(segments[1]))!.AsObject();
                payload["sub"] = "someone-else";
                return $"{segments[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{segments[2]}";
            case "other signing key":
                return Sign(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), BaasAudiences.User, now.AddMinutes(10));
            case "expired":
                // Past the 30 s clock skew.
                return Sign(key, BaasAudiences.User, now.AddMinutes(-2));
            case "garbage":
                return Convert.ToBase64String(Encoding.UTF8.GetBytes("not a jwt at all"));
            case "foreign audience":
                // Signed with the right key, but for an audience this server never issues user tokens for.
                return Sign(key, "baas-something-else", now.AddMinutes(10));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static async Task<List<JsonObject>> ItemsAsync(HttpClient client, string url)
    {
        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await client.GetAsync(url, TestContext.Current.CancellationToken));
        return [.. result!["items"]!.AsArray().Select(d => d!.AsObject())];
    }
}
