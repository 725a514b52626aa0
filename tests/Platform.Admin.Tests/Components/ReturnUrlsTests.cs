using Platform.Admin.Components;

namespace Platform.Admin.Tests.Components;

public sealed class ReturnUrlsTests
{
    [Theory]
    [InlineData("outbox", true)]
    [InlineData("admins?x=1", true)]
    [InlineData("", true)]
    [InlineData("/outbox", false)]
    [InlineData("//evil.example/x", false)]
    [InlineData("https://evil.example", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("\\\\evil", false)]
    [InlineData("a\nb", false)]
    [InlineData(null, false)]
    public void IsSafe_AcceptsOnlyPathsInsideTheDashboard(string? url, bool safe) =>
        Assert.Equal(safe, ReturnUrls.IsSafe(url));

    [Fact]
    public void Resolve_ReplacesUnsafeUrls_WithTheOverview()
    {
        Assert.Equal("outbox", ReturnUrls.Resolve("outbox"));
        Assert.Equal(string.Empty, ReturnUrls.Resolve("https://evil.example"));
        Assert.Equal(string.Empty, ReturnUrls.Resolve(null));
    }

    [Theory]
    [InlineData("outbox", false, "signin?returnUrl=outbox")]
    [InlineData("admins?tab=2", true, "signin?returnUrl=admins%3Ftab%3D2&expired=true")]
    [InlineData("", false, "signin")]
    [InlineData("signin?returnUrl=x", false, "signin")]
    [InlineData("https://evil.example", true, "signin?expired=true")]
    public void SignIn_KeepsTheReturnUrl(string current, bool expired, string expected) =>
        Assert.Equal(expected, ReturnUrls.SignIn(current, expired));
}
