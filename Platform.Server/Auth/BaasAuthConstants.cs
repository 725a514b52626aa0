namespace Platform.Server.Auth;

/// <summary>Authentication scheme names.</summary>
public static class BaasAuthSchemes
{
    /// <summary>The default scheme: forwards to <see cref="ApiKey"/> when an <c>X-Api-Key</c> header is present, else to <see cref="Bearer"/>.</summary>
    public const string Default = "Baas";

    /// <summary>JWT access tokens in <c>Authorization: Bearer</c>.</summary>
    public const string Bearer = "Bearer";

    /// <summary>Service keys in <c>X-Api-Key</c>.</summary>
    public const string ApiKey = "ApiKey";

    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>
    /// One-use realtime tickets (<c>POST /api/realtime/ticket</c>), taken on <see cref="QueryCredentialsPath"/> only, where
    /// <see cref="AccessTokenQueryParameter"/> (or <c>Authorization: Bearer</c>) holds one. A browser then opens its
    /// websocket with a ticket in the URL instead of its access token.
    /// </summary>
    public const string RealtimeTicket = "RealtimeTicket";

    /// <summary>How a realtime ticket begins, so it is told from a JWT (which begins <c>eyJ</c>) before anything parses it.</summary>
    public const string RealtimeTicketPrefix = "baas_rt_";

    /// <summary>
    /// The one path (the realtime hub) where credentials may come in the query string, because browsers cannot
    /// set headers on a WebSocket: <see cref="AccessTokenQueryParameter"/> and <see cref="ApiKeyQueryParameter"/>.
    /// </summary>
    public const string QueryCredentialsPath = "/realtime";

    public const string AccessTokenQueryParameter = "access_token";

    public const string ApiKeyQueryParameter = "apikey";

    /// <summary>
    /// The one path (the Prometheus scrape endpoint) where a service key may come as <c>Authorization: Bearer</c>,
    /// because scrapers send credentials only that way; elsewhere a Bearer token is always a JWT.
    /// </summary>
    public const string BearerServiceKeyPath = "/api/admin/metrics";

    /// <summary>The service key in <c>Authorization: Bearer baas_sk_...</c> on <see cref="BearerServiceKeyPath"/>, or null.</summary>
    public static string? BearerServiceKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Path.Equals(BearerServiceKeyPath, StringComparison.OrdinalIgnoreCase)
            && BearerValue(request) is { } token
            && token.StartsWith(ApiKeyService.KeyPrefix, StringComparison.Ordinal)
                ? token
                : null;
    }

    /// <summary>
    /// The realtime ticket a request to <see cref="QueryCredentialsPath"/> carries as its access token (the
    /// <see cref="AccessTokenQueryParameter"/>, else <c>Authorization: Bearer</c>), or null. Null on every other path:
    /// there a ticket is nobody's credential.
    /// </summary>
    public static string? RealtimeTicketOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!AcceptsQueryCredentials(request))
        {
            return null;
        }

        // The same precedence as the Bearer scheme's: the query's access token wins over the header.
        var token = request.Query.TryGetValue(AccessTokenQueryParameter, out var query)
            ? (query.Count == 1 ? query[0] : null)
            : BearerValue(request);
        return token is not null && token.StartsWith(RealtimeTicketPrefix, StringComparison.Ordinal) ? token : null;
    }

    /// <summary>What follows <c>Bearer </c> in the request's one Authorization header, or null.</summary>
    internal static string? BearerValue(HttpRequest request) =>
        request.Headers.Authorization is { Count: 1 } values
        && values[0] is { } header
        && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : null;

    /// <summary>True when the request may carry credentials in its query string.</summary>
    public static bool AcceptsQueryCredentials(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Path.StartsWithSegments(QueryCredentialsPath, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Authorization policy names, for <c>RequireAuthorization(...)</c>.</summary>
public static class BaasPolicies
{
    /// <summary>Signed-in admins only: managing admin accounts.</summary>
    public const string Admin = "baas:admin";

    /// <summary>Admins and service keys: every other <c>/api/admin/*</c> endpoint and trusted server access.</summary>
    public const string AdminOrService = "baas:admin-or-service";

    /// <summary>Everyone, signed in or not (rules decide), but credentials that are sent must be valid (else 401).</summary>
    public const string AnyCaller = "baas:any-caller";
}

/// <summary>Values of the <see cref="BaasClaimTypes.Role"/> claim.</summary>
public static class BaasRoles
{
    public const string Admin = "admin";

    public const string Service = "service";
}

/// <summary>
/// Claim types as they appear on <c>HttpContext.User</c>: the JWT names, unmapped (inbound claim
/// mapping is off), for tokens and service keys alike.
/// </summary>
public static class BaasClaimTypes
{
    /// <summary>Admin id, service-key id or app-user id.</summary>
    public const string Subject = "sub";

    /// <summary>
    /// The caller's kind for authorization policies (<see cref="BaasRoles"/>): <c>admin</c> or <c>service</c>.
    /// App-user tokens never carry it, so no user role can ever make a user an admin.
    /// </summary>
    public const string Role = "role";

    /// <summary>An app user's roles (one claim per role), as rules see them in <c>auth.roles</c>.</summary>
    public const string UserRoles = "roles";

    /// <summary>"true" when the app user signed in anonymously.</summary>
    public const string Anonymous = "anon";

    /// <summary>"true" when the app user's email address is verified.</summary>
    public const string EmailVerified = "email_verified";

    /// <summary>The session an access token belongs to: an app user's refresh-token family, an admin's token stamp.</summary>
    public const string SessionId = "sid";

    public const string Email = "email";

    /// <summary>A service key's name.</summary>
    public const string Name = "name";
}

/// <summary>Token audiences: a token minted for one kind of caller is never accepted as another.</summary>
public static class BaasAudiences
{
    public const string Admin = "baas-admin";

    /// <summary>App users' access tokens.</summary>
    public const string User = "baas-user";
}
