using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Auth;

namespace Platform.Server.Tests.Auth;

public sealed class CachingJsonWebTokenHandlerTests : IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly SigningKeyProvider _keys = new();
    private readonly BaasTokenService _tokens;
    private readonly CachingJsonWebTokenHandler _handler;
    private readonly TokenValidationParameters _parameters;

    public CachingJsonWebTokenHandlerTests()
    {
        _keys.Set(NewKey());
        _tokens = new BaasTokenService(_keys, Options.Create(new AuthOptions()), _time);
        _handler = new CachingJsonWebTokenHandler(_keys, _time);
        _parameters = _tokens.CreateValidationParameters(BaasAudiences.Admin, BaasAudiences.User);
    }

    public void Dispose() => _handler.Dispose();

    private static SymmetricSecurityKey NewKey() => new(RandomNumberGenerator.GetBytes(32)) { KeyId = "test" };

    internal static string FlipMiddle(string segment)
    {
        var chars = segment.ToCharArray();
        var i = chars.Length / 2;
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private string UserToken() =>
        _tokens.IssueUserToken(new UserTokenSubject("u1", "u@b.test", ["editor"], Anonymous: false, EmailVerified: true, SessionId: "s1")).AccessToken;

    [Fact]
    public async Task ValidateTokenAsync_RemembersAValidToken_AndAnswersAHitWithTheSameClaims()
    {
        var token = UserToken();

        var first = await _handler.ValidateTokenAsync(token, _parameters);
        var second = await _handler.ValidateTokenAsync(token, _parameters);

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal(1, _handler.Count);
        var caller = new ClaimsPrincipal(second.ClaimsIdentity).GetBaasCaller();
        Assert.NotNull(caller);
        Assert.Equal((BaasCallerKind.User, "u1", "s1"), (caller.Kind, caller.Id, caller.SessionId));
        Assert.Equal(["editor"], caller.Roles);
        Assert.Equal(first.SecurityToken.ValidTo, second.SecurityToken.ValidTo);
    }

    [Fact]
    public async Task ValidateTokenAsync_GivesEachHitItsOwnIdentity_SoAddedClaimsDoNotLeak()
    {
        var token = UserToken();
        var first = await _handler.ValidateTokenAsync(token, _parameters);
        first.ClaimsIdentity.AddClaim(new Claim(BaasClaimTypes.Role, BaasRoles.Admin));
        var second = await _handler.ValidateTokenAsync(token, _parameters);
        second.ClaimsIdentity.AddClaim(new Claim(BaasClaimTypes.Role, BaasRoles.Admin));

        var third = await _handler.ValidateTokenAsync(token, _parameters);

        Assert.True(third.IsValid);
        Assert.False(new ClaimsPrincipal(third.ClaimsIdentity).IsInRole(BaasRoles.Admin));
    }

    [Fact]
    public async Task ValidateTokenAsync_RefusesARememberedToken_OnceItHasExpired()
    {
        var token = UserToken();
        Assert.True((await _handler.ValidateTokenAsync(token, _parameters)).IsValid);

        // Still inside the lifetime plus the allowed skew: a hit.
        _time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(29));
        Assert.True((await _handler.ValidateTokenAsync(token, _parameters)).IsValid);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False((await _handler.ValidateTokenAsync(token, _parameters)).IsValid);
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public async Task ValidateTokenAsync_RefusesATamperedCopyOfARememberedToken()
    {
        var token = UserToken();
        Assert.True((await _handler.ValidateTokenAsync(token, _parameters)).IsValid);
        var parts = token.Split('.');

        // A character in the middle: the last one of a base64url segment may only carry padding bits.
        var tamperedSignature = $"{parts[0]}.{parts[1]}.{FlipMiddle(parts[2])}";
        var tamperedPayload = $"{parts[0]}.{FlipMiddle(parts[1])}.{parts[2]}";

        Assert.False((await _handler.ValidateTokenAsync(tamperedSignature, _parameters)).IsValid);
        Assert.False((await _handler.ValidateTokenAsync(tamperedPayload, _parameters)).IsValid);
        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task ValidateTokenAsync_NeverRemembersAFailure()
    {
        var foreignKeys = new SigningKeyProvider();
        foreignKeys.Set(NewKey());
        var foreign = new BaasTokenService(foreignKeys, Options.Create(new AuthOptions()), _time)
            .IssueAdminToken("admin-1", "a@b.test").AccessToken;

        Assert.False((await _handler.ValidateTokenAsync(foreign, _parameters)).IsValid);
        Assert.False((await _handler.ValidateTokenAsync(foreign, _parameters)).IsValid);
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public async Task ValidateTokenAsync_RemembersAtMostCapacityTokens_AndStillValidatesTheRest()
    {
        for (var i = 0; i < CachingJsonWebTokenHandler.Capacity + 50; i++)
        {
            Assert.True((await _handler.ValidateTokenAsync(UserToken(), _parameters)).IsValid);
        }

        Assert.InRange(_handler.Count, 1, CachingJsonWebTokenHandler.Capacity);
    }

    [Fact]
    public async Task ValidateTokenAsync_RefusesARememberedToken_AfterTheSigningKeyChanged()
    {
        var token = UserToken();
        Assert.True((await _handler.ValidateTokenAsync(token, _parameters)).IsValid);

        _keys.Set(NewKey());

        Assert.False((await _handler.ValidateTokenAsync(token, _parameters)).IsValid);
    }
}
