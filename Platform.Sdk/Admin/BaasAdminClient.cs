using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk.Http;

namespace Platform.Sdk.Admin;

/// <summary>
/// The admin API (<c>/api/admin/*</c>): collections and their data tools, service keys, app users, outbox, functions, realtime statistics, audit log and settings. Calls use the client's service key, or an
/// admin token after <see cref="SignInAsync"/>. Get it from <see cref="BaasClient.Admin"/>.
/// </summary>
public class BaasAdminClient
{
    private readonly BaasTransport _transport;

    internal BaasAdminClient(BaasTransport transport)
    {
        _transport = transport;
        Collections = new CollectionsAdminClient(transport);
        ApiKeys = new ApiKeysAdminClient(transport);
        Users = new UsersAdminClient(transport);
        Outbox = new OutboxAdminClient(transport);
        Realtime = new RealtimeAdminClient(transport);
        Audit = new AuditAdminClient(transport);
        Settings = new SettingsAdminClient(transport);
        Functions = new FunctionsAdminClient(transport);
        Admins = new AdminAccountsAdminClient(transport);
    }

    /// <summary>For mocking frameworks only.</summary>
    protected BaasAdminClient()
    {
        _transport = null!;
        Collections = null!;
        ApiKeys = null!;
        Users = null!;
        Outbox = null!;
        Realtime = null!;
        Audit = null!;
        Settings = null!;
        Functions = null!;
        Admins = null!;
    }

    /// <summary>Collection definitions: schema, indexes, rules.</summary>
    public virtual CollectionsAdminClient Collections { get; }

    /// <summary>Service keys.</summary>
    public virtual ApiKeysAdminClient ApiKeys { get; }

    /// <summary>App users: list, search, create, change (roles, disabled, email, password, data), delete.</summary>
    public virtual UsersAdminClient Users { get; }

    /// <summary>The mail the server kept instead of sending (when no SMTP server is configured).</summary>
    public virtual OutboxAdminClient Outbox { get; }

    /// <summary>Realtime connections and subscriptions of the node that answers.</summary>
    public virtual RealtimeAdminClient Realtime { get; }

    /// <summary>The audit log of admin writes.</summary>
    public virtual AuditAdminClient Audit { get; }

    /// <summary>The server's effective configuration, secrets masked.</summary>
    public virtual SettingsAdminClient Settings { get; }

    /// <summary>Functions: definitions, versions and rollback, secrets, manual runs, run records and retries.</summary>
    public virtual FunctionsAdminClient Functions { get; }

    /// <summary>Admin accounts: list and create (admins only; service keys may not manage admins).</summary>
    public virtual AdminAccountsAdminClient Admins { get; }

    /// <summary>
    /// Signs in as an admin. From then on every call of this client (documents too) sends the admin's bearer
    /// token instead of the service key, until <see cref="SignOut"/> or the token expires (then calls fail with 401).
    /// </summary>
    /// <param name="email">The admin's email.</param>
    /// <param name="password">The admin's password.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session.</returns>
    /// <exception cref="BaasException">401 <c>invalid_credentials</c> for a wrong email or password.</exception>
    public virtual async Task<AdminSession> SignInAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var body = new JsonObject { ["email"] = email, ["password"] = password };
        return await StartSessionAsync(BaasPaths.AdminLogin, body, email, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the first admin with the one-time setup token the server logged at its first start (the <c>token</c>
    /// of its <c>/admin/setup?token=...</c> link) and signs in as that admin, like <see cref="SignInAsync"/>.
    /// Works only while no admin exists.
    /// </summary>
    /// <param name="setupToken">The setup token.</param>
    /// <param name="email">The new admin's email.</param>
    /// <param name="password">The new admin's password (the server's password rules apply).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session of the new admin.</returns>
    /// <exception cref="BaasException">
    /// 403 <c>invalid_setup_token</c> for a wrong token, 409 <c>setup_completed</c> when an admin already exists,
    /// 400 with <see cref="BaasException.Field"/> for a bad email or a weak password.
    /// </exception>
    public virtual async Task<AdminSession> SetupAsync(string setupToken, string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(setupToken);
        ArgumentException.ThrowIfNullOrEmpty(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var body = new JsonObject { ["token"] = setupToken, ["email"] = email, ["password"] = password };
        return await StartSessionAsync(BaasPaths.AdminSetup, body, email, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The signed-in admin (<c>GET /api/admin/auth/me</c>): a cheap way to check that the admin token still works.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The admin the token belongs to.</returns>
    /// <exception cref="BaasException">401 when no admin is signed in, or the token expired or its account is gone.</exception>
    public virtual async Task<AdminAccount> GetMeAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.AdminMe), cancellationToken).ConfigureAwait(false);
        return AdminAccountsAdminClient.Read(response.Body as JsonObject ?? []);
    }

    private async Task<AdminSession> StartSessionAsync(string path, JsonObject body, string email, CancellationToken cancellationToken)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, path, body), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? throw new BaasException("The server answered a sign-in without a body.");
        var token = Json.String(json, "accessToken") ?? throw new BaasException("The server answered a sign-in without an access token.");
        var admin = json["admin"] as JsonObject ?? [];
        var session = new AdminSession(
            new AdminAccount(Json.String(admin, "id") ?? string.Empty, Json.String(admin, "email") ?? email, Json.Time(admin, "createdAt") ?? default),
            token,
            TimeSpan.FromSeconds(json["expiresIn"] is JsonValue v && v.TryGetValue<double>(out var seconds) ? seconds : 0));
        _transport.BearerToken = token;
        return session;
    }

    /// <summary>Forgets the admin token; calls use the service key again (if any). The token itself stays valid until it expires: see <see cref="SignOutAsync"/>.</summary>
    public virtual void SignOut() => _transport.BearerToken = null;

    /// <summary>
    /// Signs the admin out on the server (<c>POST /api/admin/auth/logout</c>), which ends every token of this admin
    /// (on other server nodes within <c>Baas:Auth:SessionCheckInterval</c>) and closes its realtime connections, then
    /// forgets the token as <see cref="SignOut"/> does. Without an admin token it only forgets.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="BaasException">401 when the token had already ended.</exception>
    public virtual async Task SignOutAsync(CancellationToken cancellationToken = default)
    {
        var token = _transport.BearerToken;
        if (token is null)
        {
            return;
        }

        try
        {
            await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminLogout), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Only the token signed out is forgotten: a sign-in that finished while the logout call was under way (a
            // dashboard signs in again on a slow network) keeps the token it got.
            if (string.Equals(_transport.BearerToken, token, StringComparison.Ordinal))
            {
                _transport.BearerToken = null;
            }
        }
    }
}

/// <summary>Defines, reads, changes and deletes collections (<c>/api/admin/collections</c>).</summary>
public partial class CollectionsAdminClient
{
    private readonly BaasTransport _transport;

    internal CollectionsAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected CollectionsAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Lists every defined collection.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The collections.</returns>
    public virtual async Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.AdminCollections), cancellationToken).ConfigureAwait(false);
        return [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(json => Read(json))];
    }

    /// <summary>Reads one collection definition.</summary>
    /// <param name="name">The collection name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The collection, or null when it is not defined.</returns>
    public virtual async Task<CollectionInfo?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.AdminCollection(name)), cancellationToken).ConfigureAwait(false);
            return Read(response);
        }
        catch (BaasException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Defines a collection.</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored definition.</returns>
    /// <exception cref="BaasException">409 <c>collection_exists</c>, 400 for a bad name, schema, index or rule (see <see cref="BaasException.Errors"/>).</exception>
    public virtual async Task<CollectionInfo> CreateAsync(CollectionDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AdminCollections, definition.ToJson()), cancellationToken).ConfigureAwait(false);
        return Read(response);
    }

    /// <summary>Replaces a collection's definition; indexes are created and dropped to match. Stored documents are not re-validated. The last save wins: see the overload with an expected version.</summary>
    /// <param name="definition">The new definition (its name says which collection).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored definition.</returns>
    public virtual Task<CollectionInfo> UpdateAsync(CollectionDefinition definition, CancellationToken cancellationToken = default) =>
        UpdateCoreAsync(definition, null, cancellationToken);

    /// <summary>
    /// Replaces a collection's definition only while it is still at <paramref name="expectedVersion"/> (sent as <c>If-Match</c>),
    /// so a change another admin saved since it was read is not overwritten unseen.
    /// </summary>
    /// <param name="definition">The new definition (its name says which collection).</param>
    /// <param name="expectedVersion">The version the change is based on, usually <see cref="CollectionInfo.Version"/> of the definition read.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The stored definition, with its new version.</returns>
    /// <exception cref="BaasException">412 <c>version_mismatch</c> when another save came first (the problem's <c>currentVersion</c> says which version is stored; nothing changed).</exception>
    public virtual Task<CollectionInfo> UpdateAsync(CollectionDefinition definition, long expectedVersion, CancellationToken cancellationToken = default) =>
        UpdateCoreAsync(definition, expectedVersion, cancellationToken);

    /// <summary>Deletes a collection and all its documents.</summary>
    /// <param name="name">The collection name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when it was deleted, false when it was not defined.</returns>
    public virtual Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(name, null, cancellationToken);

    /// <summary>Deletes a collection and all its documents, only while its definition is still at <paramref name="expectedVersion"/> (sent as <c>If-Match</c>).</summary>
    /// <param name="name">The collection name.</param>
    /// <param name="expectedVersion">The version the admin saw, usually <see cref="CollectionInfo.Version"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when it was deleted, false when it was not defined.</returns>
    /// <exception cref="BaasException">412 <c>version_mismatch</c> when the definition changed since (with <c>currentVersion</c>; nothing was deleted).</exception>
    public virtual Task<bool> DeleteAsync(string name, long expectedVersion, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(name, expectedVersion, cancellationToken);

    private async Task<CollectionInfo> UpdateCoreAsync(CollectionDefinition definition, long? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var request = new BaasRequest(HttpMethod.Put, BaasPaths.AdminCollection(definition.Name), definition.ToJson(), expectedVersion);
        return Read(await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false));
    }

    private async Task<bool> DeleteCoreAsync(string name, long? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            await _transport.SendAsync(new BaasRequest(HttpMethod.Delete, BaasPaths.AdminCollection(name), IfMatch: expectedVersion), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    // A single definition's answer carries its version as the ETag (and in its body, as the list's items do).
    private static CollectionInfo Read(BaasResponse response) =>
        Read(
            response.Body as JsonObject ?? [],
            response.ETag is { } tag && long.TryParse(tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null);

    // The ETag wins when there is one; a server from before versions were in the body answers neither in a list (0).
    private static CollectionInfo Read(JsonObject json, long? etagVersion = null)
    {
        var info = new CollectionInfo
        {
            Name = Json.String(json, "name") ?? string.Empty,
            Version = etagVersion ?? (json["version"] is JsonValue v && v.TryGetValue<long>(out var version) ? version : 0),
            Schema = json["schema"]?.DeepClone() as JsonObject,
            CreatedAt = Json.Time(json, "createdAt") ?? default,
            UpdatedAt = Json.Time(json, "updatedAt") ?? default,
        };
        foreach (var index in (json["indexes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var fields = (index["fields"] as JsonArray ?? []).Select(f => f?.GetValue<string>() ?? string.Empty).ToArray();
            info.Indexes.Add(new IndexDefinition(fields) { Unique = index["unique"] is JsonValue u && u.TryGetValue<bool>(out var unique) && unique });
        }

        foreach (var (operation, rule) in json["rules"] as JsonObject ?? [])
        {
            if (rule is JsonValue value && value.TryGetValue<string>(out var text))
            {
                info.Rules[operation] = text;
            }
        }

        return info;
    }
}

/// <summary>Creates, lists and revokes service keys (<c>/api/admin/apikeys</c>).</summary>
public class ApiKeysAdminClient
{
    private readonly BaasTransport _transport;

    internal ApiKeysAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected ApiKeysAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Creates a service key. Its secret is in the answer only: store it now.</summary>
    /// <param name="name">A name to recognize the key by.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key with its secret.</returns>
    public virtual async Task<CreatedApiKey> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.ApiKeys, new JsonObject { ["name"] = name }), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new CreatedApiKey(
            Json.String(json, "id") ?? string.Empty,
            Json.String(json, "name") ?? name,
            Json.String(json, "key") ?? throw new BaasException("The server answered a new service key without the key."),
            Json.Time(json, "createdAt") ?? default);
    }

    /// <summary>Lists the service keys (without their secrets).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The keys.</returns>
    public virtual async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.ApiKeys), cancellationToken).ConfigureAwait(false);
        return [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(k => new ApiKeyInfo(
            Json.String(k, "id") ?? string.Empty,
            Json.String(k, "name") ?? string.Empty,
            Json.String(k, "prefix"),
            Json.Time(k, "createdAt") ?? default,
            Json.Time(k, "lastUsedAt")))];
    }

    /// <summary>Revokes a service key: it stops working at once.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when it was revoked, false when there was no such key.</returns>
    public virtual async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        try
        {
            await _transport.SendAsync(new BaasRequest(HttpMethod.Delete, BaasPaths.ApiKey(id)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BaasException ex) when (ex.Status == 404)
        {
            return false;
        }
    }
}

/// <summary>Lists, creates, disables and enables admin accounts (<c>/api/admin/admins</c>). Only a signed-in admin may; service keys get 403.</summary>
public class AdminAccountsAdminClient
{
    private readonly BaasTransport _transport;

    internal AdminAccountsAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected AdminAccountsAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Lists every admin account.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The admins.</returns>
    /// <exception cref="BaasException">401 without an admin sign-in, 403 for a service key.</exception>
    public virtual async Task<IReadOnlyList<AdminAccount>> ListAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.Admins), cancellationToken).ConfigureAwait(false);
        return [.. (response.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Select(Read)];
    }

    /// <summary>Creates another admin account. The current session is kept (no sign-in as the new admin).</summary>
    /// <param name="email">The new admin's email.</param>
    /// <param name="password">The new admin's password (the server's password rules apply).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new admin.</returns>
    /// <exception cref="BaasException">400 with <see cref="BaasException.Field"/> for a bad email or weak password, 409 <c>email_taken</c>.</exception>
    public virtual async Task<AdminAccount> CreateAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var body = new JsonObject { ["email"] = email, ["password"] = password };
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Post, BaasPaths.Admins, body), cancellationToken).ConfigureAwait(false);
        return Read(response.Body as JsonObject ?? []);
    }

    /// <summary>
    /// Disables another admin (every token of it stops working, HTTP and realtime, and its sign-in is refused with 403
    /// <c>admin_disabled</c>) or enables it again (<c>PATCH /api/admin/admins/{id}</c>).
    /// </summary>
    /// <param name="id">The admin's id.</param>
    /// <param name="disabled">True to disable, false to enable.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The admin as it is now.</returns>
    /// <exception cref="BaasException">409 <c>cannot_disable_self</c> for the signed-in admin's own account, 404 <c>admin_not_found</c>.</exception>
    public virtual async Task<AdminAccount> SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var body = new JsonObject { ["disabled"] = disabled };
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Patch, BaasPaths.Admins + "/" + Uri.EscapeDataString(id), body), cancellationToken).ConfigureAwait(false);
        return Read(response.Body as JsonObject ?? []);
    }

    internal static AdminAccount Read(JsonObject json) =>
        new(Json.String(json, "id") ?? string.Empty, Json.String(json, "email") ?? string.Empty, Json.Time(json, "createdAt") ?? default)
        {
            Disabled = Json.Bool(json, "disabled"),
        };
}

/// <summary>Small readers for API JSON.</summary>
internal static class Json
{
    public static string? String(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static bool Bool(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    public static DateTimeOffset? Time(JsonObject json, string name) =>
        String(json, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
}
