using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Auth;

namespace Platform.Server.Tests.Auth;

public class BaasTokenServiceTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly SymmetricSecurityKey _key = NewKey();

    private static SymmetricSecurityKey NewKey() => new(RandomNumberGenerator.GetBytes(32)) { KeyId = "test" };

    private BaasTokenService Service(SymmetricSecurityKey? key = null, string issuer = "baas")
    {
        var keys = new SigningKeyProvider();
        keys.Set(key ?? _key);
        return new BaasTokenService(keys, Options.Create(new AuthOptions { Issuer = issuer }), _time);
    }

    [Fact]
    public async Task IssueAdminToken_CarriesSubjectRoleEmailAndLifetime()
    {
        var service = Service();

        var issued = service.IssueAdminToken("admin-1", "a@b.test");
        var principal = await service.ValidateAsync(issued.AccessToken, BaasAudiences.Admin);

        Assert.NotNull(principal);
        Assert.Equal("admin-1", principal.FindFirst(BaasClaimTypes.Subject)?.Value);
        Assert.True(principal.IsInRole(BaasRoles.Admin));
        Assert.Equal("a@b.test", principal.FindFirst(BaasClaimTypes.Email)?.Value);
        Assert.Equal(8 * 3600, issued.ExpiresIn);
        var token = new JsonWebToken(issued.AccessToken);
        Assert.Equal("HS256", token.Alg);
        Assert.Equal("test", token.Kid);
        Assert.Equal("baas", token.Issuer);
        Assert.Equal([BaasAudiences.Admin], token.Audiences);
        Assert.Equal(_time.GetUtcNow().UtcDateTime.AddHours(8), token.ValidTo, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task IssueUserToken_RoundTripsToAnAppUserCaller_WithRolesButNoAdminRole()
    {
        var service = Service();

        var issued = service.IssueUserToken(new UserTokenSubject("u1", "u@b.test", ["admin", "editor"], Anonymous: false, EmailVerified: true, SessionId: "s1"));
        var principal = await service.ValidateAsync(issued.AccessToken, BaasAudiences.Admin, BaasAudiences.User);

        Assert.NotNull(principal);
        Assert.Equal(15 * 60, issued.ExpiresIn);
        Assert.False(principal.IsInRole(BaasRoles.Admin));
        var caller = principal.GetBaasCaller();
        Assert.NotNull(caller);
        Assert.Equal(BaasCallerKind.User, caller.Kind);
        Assert.False(caller.Privileged);
        Assert.Equal(("u1", "u@b.test", "s1"), (caller.Id, caller.Email, caller.SessionId));
        Assert.Equal(["admin", "editor"], caller.Roles);
        Assert.False(caller.Anonymous);
        Assert.True(caller.EmailVerified);
        Assert.Null(await service.ValidateAsync(issued.AccessToken, BaasAudiences.Admin));
    }

    [Fact]
    public async Task IssueUserToken_MarksAnonymousUsers()
    {
        var service = Service();

        var issued = service.IssueUserToken(new UserTokenSubject("u2", null, [], Anonymous: true, EmailVerified: false, SessionId: null));
        var caller = (await service.ValidateAsync(issued.AccessToken, BaasAudiences.User))?.GetBaasCaller();

        Assert.NotNull(caller);
        Assert.True(caller.Anonymous);
        Assert.Empty(caller.Roles);
        Assert.Null(caller.Email);
    }

    [Fact]
    public async Task ValidateAsync_AcceptsToken_WithinClockSkewAfterExpiry()
    {
        var service = Service();
        var issued = service.IssueAdminToken("admin-1", "a@b.test");

        _time.Advance(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(29));

        Assert.NotNull(await service.ValidateAsync(issued.AccessToken, BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_WhenExpiredBeyondClockSkew()
    {
        var service = Service();
        var issued = service.IssueAdminToken("admin-1", "a@b.test");

        _time.Advance(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(31));

        Assert.Null(await service.ValidateAsync(issued.AccessToken, BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_IssuedInTheFutureBeyondClockSkew()
    {
        var service = Service();
        _time.Advance(TimeSpan.FromMinutes(5));
        var issued = service.IssueAdminToken("admin-1", "a@b.test");

        _time.Advance(TimeSpan.FromMinutes(-5));

        Assert.Null(await service.ValidateAsync(issued.AccessToken, BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_WhenPayloadIsTampered()
    {
        var service = Service();
        var parts = service.IssueAdminToken("admin-1", "a@b.test").AccessToken.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        payload["sub"] = "admin-2";
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";

        Assert.Null(await service.ValidateAsync(tampered, BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsUnsignedToken_WithAlgNone()
    {
        var service = Service();
        var payload = new JsonWebToken(service.IssueAdminToken("admin-1", "a@b.test").AccessToken).EncodedPayload;
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");

        Assert.Null(await service.ValidateAsync($"{header}.{payload}.", BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_SignedWithAnotherAlgorithmAndTheRightKey()
    {
        var service = Service();
        var payload = new JsonWebToken(service.IssueAdminToken("admin-1", "a@b.test").AccessToken).EncodedPayload;
        var header = Base64UrlEncoder.Encode("""{"alg":"HS512","typ":"JWT","kid":"test"}""");
        var signature = Base64UrlEncoder.Encode(HMACSHA512.HashData(_key.Key, Encoding.ASCII.GetBytes($"{header}.{payload}")));

        Assert.Null(await service.ValidateAsync($"{header}.{payload}.{signature}", BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_SignedWithAForeignKey()
    {
        var foreign = Service(NewKey()).IssueAdminToken("admin-1", "a@b.test");

        Assert.Null(await Service().ValidateAsync(foreign.AccessToken, BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_ForAnotherAudience()
    {
        var service = Service();
        var issued = service.IssueAdminToken("admin-1", "a@b.test");

        Assert.Null(await service.ValidateAsync(issued.AccessToken, "baas-app"));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_FromAnotherIssuer()
    {
        var issued = Service(issuer: "someone-else").IssueAdminToken("admin-1", "a@b.test");

        Assert.Null(await Service().ValidateAsync(issued.AccessToken, BaasAudiences.Admin));
    }

    [Fact]
    public async Task ValidateAsync_RejectsToken_WithoutExpiry()
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "baas",
            Audience = BaasAudiences.Admin,
            Claims = new Dictionary<string, object> { ["sub"] = "admin-1", ["role"] = "admin" },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });

        Assert.Null(await Service().ValidateAsync(token, BaasAudiences.Admin));
    }
}
