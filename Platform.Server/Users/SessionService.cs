using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Users;

/// <summary>An access token, the refresh token that goes with it, and the access token's lifetime in seconds.</summary>
public sealed record SessionTokens(string AccessToken, string RefreshToken, int ExpiresIn, string SessionId);

/// <summary>What a presented refresh token turned out to be, before the user is consulted.</summary>
internal sealed record RefreshTokenRecord(JsonObject Document, string SessionId, string UserId);

/// <summary>
/// Sessions and rotating refresh tokens. A session (<c>_sessions</c>, id = the access token's <c>sid</c>) is a
/// family of refresh tokens (<c>_refreshtokens</c>), each 256 random bits, given to the client once and stored only
/// as its SHA-256. Refreshing marks the presented token used and issues the next one in the same write; a used
/// token presented again means a copy is in someone else's hands, so the whole session is revoked.
/// </summary>
internal sealed class SessionService(
    IDocumentStore store,
    BaasTokenService tokens,
    SessionGuard guard,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<SessionService> logger)
{
    public const string SessionsCollection = "_sessions";
    public const string RefreshTokensCollection = "_refreshtokens";
    internal const string TokenHashField = "tokenHash";
    private const int RevokePageSize = 200;

    /// <summary>The lower-case hex SHA-256 of the token's UTF-8 bytes: the only form that is stored.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A new session for <paramref name="user"/>: its first refresh token and an access token bound to it.</summary>
    public async Task<SessionTokens> StartAsync(AppUser user, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var sessionId = SystemDocuments.NewId();
        var session = SystemDocuments.Create(
            sessionId,
            now,
            createdBy: null,
            ("userId", user.Id),
            ("revoked", false),
            ("revokedAt", null),
            ("revokedReason", null));
        var (refreshToken, tokenDocument) = NewRefreshToken(sessionId, user.Id, now);
        await store.WriteAsync(
            [new InsertOperation(SessionsCollection, session), new InsertOperation(RefreshTokensCollection, tokenDocument)],
            cancellationToken);
        UserLog.SessionStarted(logger, user.Id, sessionId);
        return Issue(user, sessionId, refreshToken);
    }

    /// <summary>
    /// Looks the presented token up and checks everything that does not depend on the user: unknown, expired
    /// and ended sessions are <c>invalid_refresh_token</c>; a token already rotated revokes its session and is
    /// <c>refresh_token_reused</c>.
    /// </summary>
    public async Task<RefreshTokenRecord> FindAsync(string refreshToken, CancellationToken cancellationToken = default)
    {
        var found = await store.QueryAsync(RefreshTokensCollection, SystemDocuments.WhereEquals(TokenHashField, HashToken(refreshToken)), cancellationToken);
        if (found.Count == 0)
        {
            throw InvalidRefreshToken();
        }

        var document = found[0];
        var record = new RefreshTokenRecord(document, SystemDocuments.GetString(document, "sessionId"), SystemDocuments.GetString(document, "userId"));
        var expiresAt = DateTimeOffset.Parse(SystemDocuments.GetString(document, "expiresAt"), CultureInfo.InvariantCulture);
        if (expiresAt <= time.GetUtcNow())
        {
            throw InvalidRefreshToken();
        }

        return record;
    }

    /// <summary>Whether the token's session has ended (logout, reuse, disabling, password reset).</summary>
    public async Task<bool> IsRevokedAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var session = await store.GetAsync(SessionsCollection, sessionId, cancellationToken);
        return session is null || session["revoked"]?.GetValue<bool>() == true;
    }

    /// <summary>
    /// Uses the presented token up and issues the next pair in the same session. Losing the race to another
    /// refresh with the same token counts as reuse: only one holder can have been legitimate.
    /// </summary>
    public async Task<SessionTokens> RotateAsync(RefreshTokenRecord presented, AppUser user, CancellationToken cancellationToken = default)
    {
        if (presented.Document["usedAt"] is not null)
        {
            await RevokeReusedAsync(presented, cancellationToken);
        }

        var now = time.GetUtcNow();
        var (refreshToken, next) = NewRefreshToken(presented.SessionId, presented.UserId, now);
        var used = SystemDocuments.Update(RefreshTokensCollection, presented.Document, now, d =>
        {
            d["usedAt"] = Timestamps.Format(now);
            d["replacedBy"] = next[SystemFields.Id]!.GetValue<string>();
        });
        try
        {
            await store.WriteAsync([used, new InsertOperation(RefreshTokensCollection, next)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            await RevokeReusedAsync(presented, cancellationToken);
        }

        return Issue(user, presented.SessionId, refreshToken);
    }

    /// <summary>Ends one session: its refresh tokens stop working at once, its access tokens as <see cref="SessionGuard"/> says.</summary>
    public async Task RevokeAsync(string sessionId, string reason, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var session = await store.GetAsync(SessionsCollection, sessionId, cancellationToken);
            if (session is null)
            {
                return;
            }

            var userId = SystemDocuments.GetString(session, "userId");
            guard.Revoked(sessionId, userId);
            if (session["revoked"]?.GetValue<bool>() == true)
            {
                return;
            }

            var now = time.GetUtcNow();
            try
            {
                await store.WriteAsync(
                    [SystemDocuments.Update(SessionsCollection, session, now, d =>
                    {
                        d["revoked"] = true;
                        d["revokedAt"] = Timestamps.Format(now);
                        d["revokedReason"] = reason;
                    })],
                    cancellationToken);
                UserLog.SessionRevoked(logger, userId, sessionId, reason);
                return;
            }
            catch (VersionMismatchException) when (attempt < 5)
            {
                // Someone else changed the session (most likely revoked it too); look again.
            }
        }
    }

    /// <summary>Ends every live session of the user (disabled, deleted, password reset).</summary>
    public async Task RevokeAllAsync(string userId, string reason, CancellationToken cancellationToken = default)
    {
        var filter = new AndNode(
        [
            new FieldNode("userId", FieldOperator.Eq, ScalarJson.Element(userId)),
            new FieldNode("revoked", FieldOperator.Eq, ScalarJson.Element(false)),
        ]);
        IReadOnlyList<JsonElement>? after = null;
        while (true)
        {
            var page = await store.QueryAsync(SessionsCollection, new DocumentQuery(filter, [new SortField(SystemFields.Id)], RevokePageSize, after), cancellationToken);
            foreach (var session in page)
            {
                await RevokeAsync(SystemDocuments.GetString(session, SystemFields.Id), reason, cancellationToken);
            }

            if (page.Count < RevokePageSize)
            {
                return;
            }

            after = [ScalarJson.Element(SystemDocuments.GetString(page[^1], SystemFields.Id))];
        }
    }

    private async Task RevokeReusedAsync(RefreshTokenRecord presented, CancellationToken cancellationToken)
    {
        UserLog.RefreshTokenReused(logger, presented.UserId, presented.SessionId);
        await RevokeAsync(presented.SessionId, "refresh token reused", cancellationToken);
        throw new DomainException(
            ErrorKind.Unauthenticated,
            "refresh_token_reused",
            "This refresh token was already used. The session has been ended for safety; sign in again.",
            "refreshToken");
    }

    private SessionTokens Issue(AppUser user, string sessionId, string refreshToken)
    {
        var access = tokens.IssueUserToken(new UserTokenSubject(user.Id, user.Email, [.. user.Roles], user.Anonymous, user.EmailConfirmed, sessionId));
        return new SessionTokens(access.AccessToken, refreshToken, access.ExpiresIn, sessionId);
    }

    private (string Token, JsonObject Document) NewRefreshToken(string sessionId, string userId, DateTimeOffset now)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var document = SystemDocuments.Create(
            SystemDocuments.NewId(),
            now,
            createdBy: null,
            (TokenHashField, HashToken(token)),
            ("sessionId", sessionId),
            ("userId", userId),
            ("expiresAt", Timestamps.Format(now + options.Value.RefreshTokenLifetime)),
            ("usedAt", null));
        return (token, document);
    }

    internal static DomainException InvalidRefreshToken() => new(
        ErrorKind.Unauthenticated,
        "invalid_refresh_token",
        "The refresh token is unknown, expired or belongs to an ended session; sign in again.",
        "refreshToken");
}
