using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Tests.Auth;
using Platform.Server.Users;

namespace Platform.Server.Tests.Users;

public class EmailTokensTests
{
    [Fact]
    public void Encode_RoundTrips_AndIsUrlSafe()
    {
        var token = EmailTokens.Encode("0190abcd", "CfDJ8+/token==");

        Assert.Matches("^[A-Za-z0-9_-]+$", token);
        Assert.True(EmailTokens.TryDecode(token, out var userId, out var identityToken));
        Assert.Equal("0190abcd", userId);
        Assert.Equal("CfDJ8+/token==", identityToken);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("***")]
    [InlineData("bm9jb2xvbg")] // "nocolon"
    [InlineData("OnRva2Vu")] // ":token"
    [InlineData("dXNlcjo")] // "user:"
    public void TryDecode_RefusesWhatEncodeCannotProduce(string? token) =>
        Assert.False(EmailTokens.TryDecode(token, out _, out _));

    [Fact]
    public void TryDecode_RefusesOverlongTokens() =>
        Assert.False(EmailTokens.TryDecode(new string('A', 5000), out _, out _));
}

public class UserRolesTests
{
    [Fact]
    public void Parse_KeepsOrderAndDropsDuplicates() =>
        Assert.Equal(["b", "a", "team:x.y-z_1"], UserRoles.Parse(new JsonArray("b", "a", "b", "team:x.y-z_1")));

    [Theory]
    [InlineData("""["-lead"]""", "roles[0]")]
    [InlineData("""["ok", ""]""", "roles[1]")]
    [InlineData("""["ok", "with space"]""", "roles[1]")]
    [InlineData("""["ok", null]""", "roles[1]")]
    [InlineData("""[{"a":1}]""", "roles[0]")]
    [InlineData("\"admin\"", "roles")]
    [InlineData("null", "roles")]
    public void Parse_Is400InvalidRole_NamingTheEntry(string json, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => UserRoles.Parse(JsonNode.Parse(json)));

        Assert.Equal("invalid_role", error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_RefusesTooLongNamesAndTooManyRoles()
    {
        Assert.Throws<InvalidInputException>(() => UserRoles.Parse(new JsonArray(new string('a', 65))));
        Assert.Single(UserRoles.Parse(new JsonArray(new string('a', 64))));
        Assert.Throws<InvalidInputException>(() => UserRoles.Parse(new JsonArray([.. Enumerable.Range(0, 33).Select(i => (JsonNode)$"r{i}")])));
    }
}

public class UserAuthOptionsTests
{
    private static List<ValidationResult> Validate(UserAuthOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void Defaults_AreValid_AndMatchTheDocs()
    {
        var options = new UserAuthOptions();

        Assert.Empty(Validate(options));
        Assert.Equal(5, options.Lockout.MaxFailedAttempts);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Lockout.Duration);
        Assert.Equal(8, options.Password.RequiredLength);
        Assert.Equal(TimeSpan.FromHours(24), options.EmailTokenLifetime);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SessionCheckInterval);
        Assert.Equal(TimeSpan.FromDays(30), new AuthOptions().RefreshTokenLifetime);
    }

    [Fact]
    public void NestedSections_AreValidated()
    {
        var results = Validate(new UserAuthOptions { Lockout = { MaxFailedAttempts = 0 }, Password = { RequiredLength = 2 } });

        Assert.Contains(results, r => r.MemberNames.Contains("Lockout:MaxFailedAttempts"));
        Assert.Contains(results, r => r.MemberNames.Contains("Password:RequiredLength"));
    }

    [Theory]
    [InlineData("ftp://app.example.test")]
    [InlineData("/relative")]
    public void PublicUrl_MustBeAbsoluteHttp(string url) =>
        Assert.NotEmpty(Validate(new UserAuthOptions { PublicUrl = new Uri(url, UriKind.RelativeOrAbsolute) }));

    [Fact]
    public void Identity_GetsTheConfiguredRules()
    {
        var identity = new IdentityOptions();

        UserServiceCollectionExtensions.Configure(identity, new UserAuthOptions { Lockout = { MaxFailedAttempts = 7, Duration = TimeSpan.FromMinutes(9) }, Password = { RequireDigit = true } });

        Assert.Equal(7, identity.Lockout.MaxFailedAccessAttempts);
        Assert.Equal(TimeSpan.FromMinutes(9), identity.Lockout.DefaultLockoutTimeSpan);
        Assert.True(identity.Lockout.AllowedForNewUsers);
        Assert.True(identity.Password.RequireDigit);
        Assert.False(identity.User.RequireUniqueEmail);
    }

    [Fact]
    public void AddBaasUsers_RegistersNoUserValidator_SoWritesDoNotReadTheUserBackFirst()
    {
        var services = new ServiceCollection();
        services.AddBaasUsers(new ConfigurationBuilder().Build());

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IUserValidator<AppUser>));
    }
}

public class AppUserStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(AppUserStore Store, InMemoryDocumentStore Documents)> CreateAsync()
    {
        var documents = new InMemoryDocumentStore();
        await documents.CreateCollectionAsync(AppUserStore.Collection, Ct);
        await documents.ApplyIndexesAsync(
            AppUserStore.Collection,
            [new IndexDefinition([new SortField(AppUserStore.NormalizedEmailField)], Unique: true)],
            Ct);
        return (new AppUserStore(documents, new ManualTimeProvider(), new IdentityErrorDescriber()), documents);
    }

    [Fact]
    public async Task CreateAndFind_RoundTripEveryField()
    {
        var (store, _) = await CreateAsync();
        var user = new AppUser
        {
            Email = "ada@test.local",
            NormalizedEmail = "ADA@TEST.LOCAL",
            EmailConfirmed = true,
            PasswordHash = "hash",
            SecurityStamp = "stamp",
            Data = new JsonObject { ["name"] = "Ada" },
            LastLoginAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, 123, TimeSpan.Zero),
            LockoutEnd = new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero),
            AccessFailedCount = 2,
            LockoutEnabled = true,
            Roles = { "editor" },
        };

        Assert.True((await store.CreateAsync(user, Ct)).Succeeded);
        var byId = await store.FindByIdAsync(user.Id, Ct);
        var byEmail = await store.FindByEmailAsync("ADA@TEST.LOCAL", Ct);
        var byName = await store.FindByNameAsync(user.Id.ToUpperInvariant(), Ct);

        Assert.NotNull(byId);
        Assert.Equal(user.Id, byEmail?.Id);
        Assert.Equal(user.Id, byName?.Id);
        Assert.Equal(1, byId.Version);
        Assert.Equal("ada@test.local", byId.Email);
        Assert.True(byId.EmailConfirmed);
        Assert.Equal("hash", byId.PasswordHash);
        Assert.Equal("stamp", byId.SecurityStamp);
        Assert.Equal("Ada", byId.Data["name"]!.GetValue<string>());
        Assert.Equal(user.LastLoginAt, byId.LastLoginAt);
        Assert.Equal(user.LockoutEnd, byId.LockoutEnd);
        Assert.Equal(2, byId.AccessFailedCount);
        Assert.True(byId.LockoutEnabled);
        Assert.Equal(["editor"], byId.Roles);
        Assert.Equal(new ManualTimeProvider().GetUtcNow(), byId.CreatedAt);
    }

    [Fact]
    public async Task Update_IsAConcurrencyFailure_WhenAnotherWriteCameFirst()
    {
        var (store, _) = await CreateAsync();
        var user = new AppUser { Email = "a@test.local", NormalizedEmail = "A@TEST.LOCAL" };
        await store.CreateAsync(user, Ct);
        var first = (await store.FindByIdAsync(user.Id, Ct))!;
        var second = (await store.FindByIdAsync(user.Id, Ct))!;

        first.Disabled = true;
        Assert.True((await store.UpdateAsync(first, Ct)).Succeeded);
        second.Data["x"] = 1;
        var lost = await store.UpdateAsync(second, Ct);

        Assert.Equal(nameof(IdentityErrorDescriber.ConcurrencyFailure), Assert.Single(lost.Errors).Code);
        var stored = (await store.FindByIdAsync(user.Id, Ct))!;
        Assert.True(stored.Disabled);
        Assert.Empty(stored.Data);
        Assert.Equal(2, stored.Version);
    }

    [Fact]
    public async Task CreateAndUpdate_AreDuplicateEmail_OnTheUniqueIndex_WhileUsersWithoutEmailNeverCollide()
    {
        var (store, documents) = await CreateAsync();
        await store.CreateAsync(new AppUser { Email = "a@test.local", NormalizedEmail = "A@TEST.LOCAL" }, Ct);
        var other = new AppUser { Email = "b@test.local", NormalizedEmail = "B@TEST.LOCAL" };
        await store.CreateAsync(other, Ct);

        var duplicate = await store.CreateAsync(new AppUser { Email = "a@test.local", NormalizedEmail = "A@TEST.LOCAL" }, Ct);
        other.NormalizedEmail = "A@TEST.LOCAL";
        var renamed = await store.UpdateAsync(other, Ct);

        Assert.Equal(nameof(IdentityErrorDescriber.DuplicateEmail), Assert.Single(duplicate.Errors).Code);
        Assert.Equal(nameof(IdentityErrorDescriber.DuplicateEmail), Assert.Single(renamed.Errors).Code);
        Assert.True((await store.CreateAsync(new AppUser { Anonymous = true }, Ct)).Succeeded);
        Assert.True((await store.CreateAsync(new AppUser { Anonymous = true }, Ct)).Succeeded);
        Assert.Single(await documents.QueryAsync(AppUserStore.Collection, SystemDocumentsQuery("A@TEST.LOCAL"), Ct));
    }

    private static DocumentQuery SystemDocumentsQuery(string normalizedEmail) =>
        new(new Platform.Server.Storage.Filters.FieldNode(AppUserStore.NormalizedEmailField, Platform.Server.Storage.Filters.FieldOperator.Eq, System.Text.Json.JsonSerializer.SerializeToElement(normalizedEmail)), [new SortField("_id")], 10);

    [Fact]
    public async Task Delete_IsAConcurrencyFailure_ForAStaleUser()
    {
        var (store, _) = await CreateAsync();
        var user = new AppUser();
        await store.CreateAsync(user, Ct);
        var stale = (await store.FindByIdAsync(user.Id, Ct))!;
        user.Disabled = true;
        await store.UpdateAsync(user, Ct);

        var result = await store.DeleteAsync(stale, Ct);

        Assert.Equal(nameof(IdentityErrorDescriber.ConcurrencyFailure), Assert.Single(result.Errors).Code);
        Assert.True((await store.DeleteAsync(user, Ct)).Succeeded);
        Assert.Null(await store.FindByIdAsync(user.Id, Ct));
    }
}

public class UserMailerTests
{
    [Theory]
    [InlineData("https://app.example.test", "https://app.example.test/reset-password?token=a%2Bb")]
    [InlineData("https://app.example.test/", "https://app.example.test/reset-password?token=a%2Bb")]
    [InlineData("https://example.test/app", "https://example.test/app/reset-password?token=a%2Bb")]
    public void Link_JoinsTheBaseUrlPathAndEscapedToken(string baseUrl, string expected) =>
        Assert.Equal(expected, UserMailer.Link(new Uri(baseUrl), UserMailer.ResetPasswordPath, "a+b").ToString());
}
