using System.Text.Json.Nodes;
using Platform.Sdk.Admin;

namespace Platform.Sdk.Auth;

/// <summary>An app user as the server shows it.</summary>
/// <param name="Id">The user's id (the <c>sub</c> of their tokens; <c>auth.id</c> in rules).</param>
/// <param name="Email">The email address; null for anonymous users.</param>
/// <param name="EmailVerified">Whether the address was confirmed.</param>
/// <param name="Anonymous">True for a user who signed in anonymously and has not signed up yet.</param>
/// <param name="Roles">Roles given by an admin (<c>auth.roles</c> in rules).</param>
/// <param name="Data">Profile data, free-form JSON the user may change.</param>
/// <param name="CreatedAt">When the account was created.</param>
/// <param name="LastLoginAt">When the user last signed in, if ever.</param>
/// <param name="Disabled">True when an admin disabled the account (it cannot sign in).</param>
public sealed record BaasUser(
    string Id,
    string? Email,
    bool EmailVerified,
    bool Anonymous,
    IReadOnlyList<string> Roles,
    JsonObject Data,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastLoginAt,
    bool Disabled)
{
    internal static BaasUser Read(JsonObject json) => new(
        Json.String(json, "id") ?? throw new BaasException("The server answered a user without an id."),
        Json.String(json, "email"),
        Json.Bool(json, "emailVerified"),
        Json.Bool(json, "anonymous"),
        [.. (json["roles"] as JsonArray ?? []).Select(r => r is JsonValue v && v.TryGetValue<string>(out var role) ? role : null).OfType<string>()],
        json["data"]?.DeepClone() as JsonObject ?? [],
        Json.Time(json, "createdAt") ?? default,
        Json.Time(json, "lastLoginAt"),
        Json.Bool(json, "disabled"));
}

/// <summary>
/// A signed-in app user's session, as an <see cref="IBaasTokenStore"/> keeps it. The tokens are secrets:
/// a store that writes them somewhere must protect them like a password.
/// </summary>
/// <param name="User">The user, as last seen.</param>
/// <param name="AccessToken">The short-lived bearer token sent with requests.</param>
/// <param name="RefreshToken">The long-lived token that buys the next access token (used up on each refresh).</param>
/// <param name="ExpiresAt">When <paramref name="AccessToken"/> expires, by the client's clock.</param>
public sealed record BaasSession(BaasUser User, string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt);

/// <summary>What changed in <see cref="BaasAuthClient.AuthStateChanged"/>.</summary>
public enum BaasAuthChange
{
    /// <summary>A user signed in (or signed up, or an anonymous user signed up), or a stored session was restored.</summary>
    SignedIn,

    /// <summary>The user signed out, or the session ended (the refresh token was refused).</summary>
    SignedOut,

    /// <summary>The access token was refreshed (the user may have changed too, e.g. roles or verification).</summary>
    TokenRefreshed,

    /// <summary>The user's profile or verification changed through this client.</summary>
    UserUpdated,
}

/// <summary>The arguments of <see cref="BaasAuthClient.AuthStateChanged"/>.</summary>
public sealed class BaasAuthStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="change">What happened.</param>
    /// <param name="user">The signed-in user after the change; null after a sign-out.</param>
    public BaasAuthStateChangedEventArgs(BaasAuthChange change, BaasUser? user)
    {
        Change = change;
        User = user;
    }

    /// <summary>What happened.</summary>
    public BaasAuthChange Change { get; }

    /// <summary>The signed-in user after the change; null after a sign-out.</summary>
    public BaasUser? User { get; }
}
