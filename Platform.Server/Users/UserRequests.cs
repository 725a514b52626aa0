using System.Text.Json.Nodes;

namespace Platform.Server.Users;

// The bodies of the /api/auth endpoints as the OpenAPI document shows them (.Accepts<T>). The endpoints read them
// by hand (JsonBody, UserProblems), which refuses unknown keys, repeated keys and wrong types with a field-precise 400.

/// <summary><c>POST /api/auth/signup</c>: a new account, or the signed-in anonymous account upgraded.</summary>
/// <param name="Email">The account's email (normalized; unique).</param>
/// <param name="Password">At least <c>Baas:Auth:Password:RequiredLength</c> characters, at most 256.</param>
/// <param name="Data">Profile data for the app (at most <c>Baas:Auth:MaxUserDataBytes</c>).</param>
public sealed record UserSignUpRequest(string Email, string Password, JsonObject? Data = null);

/// <summary><c>POST /api/auth/login</c>.</summary>
public sealed record UserLoginRequest(string Email, string Password);

/// <summary><c>POST /api/auth/refresh</c>: the refresh token to trade (used up by the call).</summary>
public sealed record UserRefreshRequest(string RefreshToken);

/// <summary><c>POST /api/auth/logout</c>: optionally the session's refresh token, whose session ends too.</summary>
public sealed record UserLogoutRequest(string? RefreshToken = null);

/// <summary><c>PATCH /api/auth/me</c>: a JSON merge patch of the profile data (<c>null</c> removes a key).</summary>
public sealed record UserPatchMeRequest(JsonObject Data);

/// <summary><c>POST /api/auth/password/forgot</c>.</summary>
public sealed record UserForgotPasswordRequest(string Email);

/// <summary><c>POST /api/auth/password/reset</c>: the mailed token and the new password.</summary>
public sealed record UserResetPasswordRequest(string Token, string Password);

/// <summary><c>POST /api/auth/verify-email/confirm</c>: the mailed token.</summary>
public sealed record UserConfirmEmailRequest(string Token);
