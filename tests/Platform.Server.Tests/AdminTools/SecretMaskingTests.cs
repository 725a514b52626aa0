using System.Text.Json.Nodes;
using Platform.Server.Common;

namespace Platform.Server.Tests.AdminTools;

public sealed class SecretMaskingTests
{
    [Theory]
    [InlineData("Baas:Admin:Password", true)]
    [InlineData("Baas:Email:Smtp:Password", true)]
    [InlineData("Baas:Email:Smtp:Username", true)]
    [InlineData("Baas:Functions:Secrets:StripeKey", true)]
    [InlineData("Baas:Auth:SigningKey", true)]
    [InlineData("ClientSecret", true)]
    [InlineData("apiKey", true)]
    [InlineData("refreshToken", true)]
    [InlineData("Baas:Auth:AccessTokenLifetime", false)]
    [InlineData("Baas:Auth:ApiKeyCacheDuration", false)]
    [InlineData("Baas:Auth:Password:RequiredLength", false)]
    [InlineData("Baas:Collections:MaxIndexFields", false)]
    [InlineData("Baas:Email:Smtp:Host", false)]
    [InlineData("prefix", false)]
    public void IsSecret_ByListAndByName(string key, bool secret) => Assert.Equal(secret, SecretMasking.IsSecret(key));

    [Theory]
    [InlineData("mongodb://app:s3cret@db1:27017,db2/?replicaSet=rs0", "mongodb://***@db1:27017,db2/?replicaSet=rs0")]
    [InlineData("mongodb://db1:27017/?replicaSet=rs0", "mongodb://db1:27017/?replicaSet=rs0")]
    [InlineData("Server=db;User Id=sa;Password=s3cret;Database=x", "Server=db;User Id=***;Password=***;Database=x")]
    public void MaskConnectionString_HidesCredentialsOnly(string value, string expected) =>
        Assert.Equal(expected, SecretMasking.MaskConnectionString(value));

    [Fact]
    public void MaskJson_MasksSecretFieldsAtAnyDepth()
    {
        var masked = SecretMasking.MaskJson(JsonNode.Parse("""{"name":"k","password":"p","env":{"API_KEY":"x","region":"eu"},"list":[{"secret":"s"}]}"""));
        Assert.Equal("""{"name":"k","password":"***","env":{"API_KEY":"***","region":"eu"},"list":[{"secret":"***"}]}""", masked!.ToJsonString());
    }
}
