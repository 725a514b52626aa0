using System.ComponentModel.DataAnnotations;
using Platform.Server.Admin;

namespace Platform.Server.Tests.Admin;

public class AdminOptionsTests
{
    private static List<ValidationResult> Validate(AdminOptions options) =>
        [.. options.Validate(new ValidationContext(options))];

    [Fact]
    public void Validate_Passes_WithNeitherSetting()
    {
        var options = new AdminOptions();

        Assert.Empty(Validate(options));
        Assert.False(options.SeedsAdmin);
    }

    [Fact]
    public void Validate_Passes_WithAValidEmailAndPassword()
    {
        var options = new AdminOptions { Email = "Admin@Test.local", Password = "Admin-Passw0rd!" };

        Assert.Empty(Validate(options));
        Assert.True(options.SeedsAdmin);
    }

    [Theory]
    [InlineData("admin@test.local", null)]
    [InlineData(null, "Admin-Passw0rd!")]
    public void Validate_Fails_WithOnlyOneSetting(string? email, string? password) =>
        Assert.Single(Validate(new AdminOptions { Email = email, Password = password }));

    [Fact]
    public void Validate_Fails_ForAWeakPassword() =>
        Assert.Contains(Validate(new AdminOptions { Email = "admin@test.local", Password = "short" }), r => r.MemberNames.Contains("Password"));
}
