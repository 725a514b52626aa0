using Platform.Server.Admin;

namespace Platform.Server.Tests.Admin;

public class AdminCredentialsTests
{
    [Theory]
    [InlineData("  Admin@Example.COM ", "admin@example.com")]
    [InlineData(null, "")]
    public void NormalizeEmail_TrimsAndLowerCases(string? input, string expected) =>
        Assert.Equal(expected, AdminCredentials.NormalizeEmail(input));

    [Theory]
    [InlineData("a@b.test", true)]
    [InlineData("first.last+tag@example.com", true)]
    [InlineData("", false)]
    [InlineData("no-at-sign", false)]
    [InlineData("@example.com", false)]
    [InlineData("a@", false)]
    [InlineData("a@b@c.test", false)]
    [InlineData("a b@c.test", false)]
    public void ValidateEmail_AcceptsOnlyPlausibleAddresses(string email, bool valid) =>
        Assert.Equal(valid, AdminCredentials.ValidateEmail(email).Count == 0);

    [Fact]
    public void ValidateEmail_RejectsOver254Characters() =>
        Assert.NotEmpty(AdminCredentials.ValidateEmail(new string('a', 250) + "@b.test"));

    [Theory]
    [InlineData("Admin-Passw0rd!", true)]
    [InlineData("abcdefgh", true)]
    [InlineData("abcdefg", false)]
    [InlineData("aaaaaaaaaaaa", false)]
    [InlineData("abababab", false)]
    [InlineData("          ", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void ValidatePassword_EnforcesLengthAndVariety(string? password, bool valid) =>
        Assert.Equal(valid, AdminCredentials.ValidatePassword(password).Count == 0);

    [Fact]
    public void ValidatePassword_RejectsOver256Characters()
    {
        var chars = "abcdefghij";
        Assert.Empty(AdminCredentials.ValidatePassword(string.Concat(Enumerable.Range(0, 256).Select(i => chars[i % 10]))));
        Assert.NotEmpty(AdminCredentials.ValidatePassword(string.Concat(Enumerable.Range(0, 257).Select(i => chars[i % 10]))));
    }

    [Fact]
    public void Validate_ReportsEachFieldWithItsProblems()
    {
        var errors = AdminCredentials.Validate("nope", "aaa");

        Assert.Contains(errors, e => e.Path == "email");
        Assert.Equal(2, errors.Count(e => e.Path == "password"));
    }
}
