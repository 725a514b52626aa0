using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Platform.Server.Auth;

namespace Platform.Server.Tests.Auth;

/// <summary>The encryption at rest of the Data Protection key ring in the store, and its key's validation.</summary>
public class StoreXmlRepositoryTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Encrypt_RoundTrips_AndHidesThePlaintext()
    {
        var sealedText = StoreXmlRepository.Encrypt(Key, "key-1", "<key><masterKey>secret</masterKey></key>");

        Assert.DoesNotContain("masterKey", sealedText, StringComparison.Ordinal);
        Assert.Equal("<key><masterKey>secret</masterKey></key>", StoreXmlRepository.Decrypt(Key, "key-1", sealedText));
        Assert.NotEqual(sealedText, StoreXmlRepository.Encrypt(Key, "key-1", "<key><masterKey>secret</masterKey></key>"));
    }

    [Fact]
    public void Decrypt_Fails_WithAnotherKey_AnotherId_OrAlteredBytes()
    {
        var sealedText = StoreXmlRepository.Encrypt(Key, "key-1", "<key/>");
        var altered = Convert.FromBase64String(sealedText);
        altered[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => StoreXmlRepository.Decrypt(RandomNumberGenerator.GetBytes(32), "key-1", sealedText));
        Assert.ThrowsAny<CryptographicException>(() => StoreXmlRepository.Decrypt(Key, "key-2", sealedText));
        Assert.ThrowsAny<CryptographicException>(() => StoreXmlRepository.Decrypt(Key, "key-1", Convert.ToBase64String(altered)));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==", false)]
    [InlineData("not base64!", false)]
    public void Key_MustBe32BytesOfBase64(string? key, bool valid)
    {
        var options = new DataProtectionKeyOptions { Key = key };
        var results = new List<ValidationResult>();

        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        if (!valid)
        {
            Assert.Equal(["Key"], Assert.Single(results).MemberNames);
        }
    }
}
