using System.ComponentModel.DataAnnotations;
using Platform.Server.Auth;

namespace Platform.Server.Tests.Auth;

public class AuthOptionsTests
{
    private static bool IsValid(AuthOptions options) =>
        Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true);

    [Fact]
    public void Defaults_AreValid_AndMatchTheDesign()
    {
        var options = new AuthOptions();

        Assert.True(IsValid(options));
        Assert.Equal("baas", options.Issuer);
        Assert.Equal(TimeSpan.FromMinutes(15), options.AccessTokenLifetime);
        Assert.Equal(TimeSpan.FromHours(8), options.AdminTokenLifetime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    public void Issuer_MustBeANonBlankToken(string issuer) => Assert.False(IsValid(new AuthOptions { Issuer = issuer }));

    [Fact]
    public void Lifetimes_OutsideTheirRanges_AreInvalid()
    {
        Assert.False(IsValid(new AuthOptions { AccessTokenLifetime = TimeSpan.FromSeconds(10) }));
        Assert.False(IsValid(new AuthOptions { AccessTokenLifetime = TimeSpan.FromDays(2) }));
        Assert.False(IsValid(new AuthOptions { AdminTokenLifetime = TimeSpan.Zero }));
        Assert.False(IsValid(new AuthOptions { AdminTokenLifetime = TimeSpan.FromDays(8) }));
        Assert.False(IsValid(new AuthOptions { ApiKeyCacheDuration = TimeSpan.FromMinutes(6) }));
    }
}
