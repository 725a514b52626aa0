using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Server.Users;

/// <summary>
/// Password-reset and email-verification tokens as one string for the client: base64url of
/// <c>{userId}:{Identity token}</c>. Identity's token (Data Protection, bound to the user's security stamp,
/// purpose and lifetime) is what makes it unforgeable; the user id only says whose it is.
/// </summary>
public static class EmailTokens
{
    private const int MaxLength = 4096;

    public static string Encode(string userId, string identityToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(identityToken);
        return Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes($"{userId}:{identityToken}"));
    }

    /// <summary>The parts, or false when <paramref name="token"/> is not one of ours.</summary>
    public static bool TryDecode(string? token, out string userId, out string identityToken)
    {
        userId = identityToken = string.Empty;
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        userId = text[..colon];
        identityToken = text[(colon + 1)..];
        return true;
    }
}
