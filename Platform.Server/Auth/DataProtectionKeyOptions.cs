using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Auth;

/// <summary>
/// <c>Baas:DataProtection</c>: where ASP.NET Core Data Protection keeps its key ring (the keys that encrypt function
/// secrets and sign email and password-reset tokens). Without <see cref="Key"/> the ring is a folder,
/// <c>&lt;DataDir&gt;/keys</c>, as before: fine for one node (or nodes sharing the data dir). With it, the ring lives
/// in the store (<c>_dataprotection_keys</c>), encrypted with this key, so every node sharing the store reads what
/// another protected. Required when several nodes share a MongoDB database (docs/deployment.md, "Several nodes").
/// </summary>
public sealed class DataProtectionKeyOptions : IValidatableObject
{
    public const string Section = "Baas:DataProtection";

    /// <summary>Bytes of <see cref="Key"/>: AES-256.</summary>
    public const int KeyBytes = 32;

    /// <summary>
    /// 32 random bytes in base64 (<c>openssl rand -base64 32</c>), the same on every node. Encrypts each stored
    /// key-ring element with AES-256-GCM. Keep it as secret as the database password.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>The decoded key, or null when <see cref="Key"/> is not set or not 32 bytes of base64.</summary>
    public byte[]? KeyMaterial()
    {
        if (string.IsNullOrWhiteSpace(Key))
        {
            return null;
        }

        var buffer = new byte[KeyBytes + 3];
        return Convert.TryFromBase64String(Key.Trim(), buffer, out var written) && written == KeyBytes ? buffer[..KeyBytes] : null;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Key) && KeyMaterial() is null)
        {
            yield return new ValidationResult(
                $"must be {KeyBytes} random bytes in base64 (generate one with: openssl rand -base64 32).",
                [nameof(Key)]);
        }
    }
}

/// <summary>Checks <see cref="DataProtectionKeyOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class DataProtectionKeyOptionsValidator : IValidateOptions<DataProtectionKeyOptions>;
