using System.Text.Json.Nodes;
using Platform.Server.Common;

namespace Platform.Server.Users;

/// <summary>A user as the API shows it (DESIGN.md section 6); never a hash, stamp or lockout counter.</summary>
public sealed record UserView(
    string Id,
    string? Email,
    bool EmailVerified,
    bool Anonymous,
    IReadOnlyList<string> Roles,
    JsonObject Data,
    string CreatedAt,
    string? LastLoginAt,
    bool Disabled)
{
    public static UserView From(AppUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(
            user.Id,
            user.Email,
            user.EmailConfirmed,
            user.Anonymous,
            [.. user.Roles],
            user.Data.DeepClone().AsObject(),
            Timestamps.Format(user.CreatedAt),
            user.LastLoginAt is { } login ? Timestamps.Format(login) : null,
            user.Disabled);
    }
}

/// <summary>The answer of signup, login, anonymous sign-in and refresh. <c>expiresIn</c> is the access token's lifetime in seconds.</summary>
public sealed record UserSessionResponse(UserView User, string AccessToken, string RefreshToken, int ExpiresIn)
{
    internal static UserSessionResponse From(AppUser user, SessionTokens tokens) =>
        new(UserView.From(user), tokens.AccessToken, tokens.RefreshToken, tokens.ExpiresIn);
}

/// <summary>One page of the admin users listing; <c>nextCursor</c> is null on the last page.</summary>
public sealed record UserPage(IReadOnlyList<UserView> Items, string? NextCursor);
