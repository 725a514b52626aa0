namespace Platform.Server.Admin;

public sealed record AdminCredentialsRequest(string? Email, string? Password);

public sealed record AdminSetupRequest(string? Token, string? Email, string? Password);

/// <summary>The answer of login and setup: the admin, a bearer token, and its lifetime in seconds.</summary>
public sealed record AdminSessionResponse(AdminAccount Admin, string AccessToken, int ExpiresIn);

public sealed record CreateApiKeyRequest(string? Name);

public sealed record ItemsResponse<T>(IReadOnlyList<T> Items);

/// <summary>The body of <c>PATCH /api/admin/admins/{id}</c>.</summary>
public sealed record AdminPatchRequest(bool? Disabled);
