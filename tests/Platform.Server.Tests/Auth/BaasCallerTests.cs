using System.Security.Claims;
using Platform.Server.Auth;

namespace Platform.Server.Tests.Auth;

public class BaasCallerTests
{
    private static ClaimsPrincipal Principal(params Claim[] claims) =>
        new(new ClaimsIdentity(claims, "test", BaasClaimTypes.Subject, BaasClaimTypes.Role));

    [Fact]
    public void GetBaasCaller_IdentifiesAnAdmin()
    {
        var user = Principal(new(BaasClaimTypes.Subject, "a1"), new(BaasClaimTypes.Role, BaasRoles.Admin), new(BaasClaimTypes.Email, "a@b.test"));

        Assert.Equal(new BaasCaller(BaasCallerKind.Admin, "a1", "a@b.test"), user.GetBaasCaller());
    }

    [Fact]
    public void GetBaasCaller_IdentifiesAServiceKey()
    {
        var user = Principal(new(BaasClaimTypes.Subject, "k1"), new(BaasClaimTypes.Role, BaasRoles.Service), new(BaasClaimTypes.Name, "ci"));

        Assert.Equal(new BaasCaller(BaasCallerKind.ServiceKey, "k1", "ci"), user.GetBaasCaller());
    }

    [Fact]
    public void GetBaasCaller_IsNull_ForAnonymousAndUnknownPrincipals()
    {
        Assert.Null(new ClaimsPrincipal(new ClaimsIdentity()).GetBaasCaller());
        Assert.Null(new ClaimsPrincipal(new ClaimsIdentity([new Claim(BaasClaimTypes.Subject, "a1"), new Claim(BaasClaimTypes.Role, BaasRoles.Admin)])).GetBaasCaller());
        Assert.Null(Principal(new(BaasClaimTypes.Subject, "x"), new(BaasClaimTypes.Role, "other")).GetBaasCaller());
    }
}
