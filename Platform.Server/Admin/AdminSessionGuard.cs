using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Storage;
using Platform.Server.Users;

namespace Platform.Server.Admin;

/// <summary>
/// Answers "may this admin token still be used?" for the Bearer scheme and the realtime hub: the admin exists, is not
/// disabled, and the token's <c>sid</c> is the account's current token stamp (tokens from before the first sign-out
/// carry none and stay valid until one happens). Answers are cached per node for
/// <see cref="UserAuthOptions.SessionCheckInterval"/>; a sign-out or disabling on this node takes effect at once.
/// </summary>
public sealed class AdminSessionGuard(IDocumentStore store, IMemoryCache cache, IOptions<UserAuthOptions> options, SessionEndings endings)
    : ICallerSessionCheck
{
    private readonly AuthAnswerCache _answers = new(cache, () => options.Value.SessionCheckInterval);

    public BaasCallerKind Kind => BaasCallerKind.Admin;

    public async Task<bool> IsActiveAsync(BaasCaller caller, bool fresh, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var key = new CacheKey(caller.Id);
        if (!fresh && _answers.TryGet(key, out AdminState? cached))
        {
            return cached.Accepts(caller);
        }

        var generation = _answers.Generation;
        var document = await store.GetAsync(SystemDocuments.AdminsCollection, caller.Id, cancellationToken);
        var state = document is null
            ? new AdminState(Exists: false, Disabled: false, Stamp: null)
            : new AdminState(Exists: true, AdminAccountService.IsDisabled(document), AdminAccountService.TokenStamp(document));
        _answers.Remember(key, state, generation);
        return state.Accepts(caller);
    }

    /// <summary>The admin signed out or was disabled on this node (already written): forget the cached answer and tell listeners.</summary>
    public void Ended(string adminId)
    {
        Changed(adminId);
        endings.Publish(new SessionEnded(BaasCallerKind.Admin, adminId, SessionId: null));
    }

    /// <summary>The admin's account changed on this node (already written, e.g. enabled again): forget the cached answer.</summary>
    public void Changed(string adminId) => _answers.Forget(new CacheKey(adminId));

    private sealed record AdminState(bool Exists, bool Disabled, string? Stamp)
    {
        public bool Accepts(BaasCaller caller) =>
            Exists && !Disabled && (Stamp is null || string.Equals(Stamp, caller.SessionId, StringComparison.Ordinal));
    }

    private readonly record struct CacheKey(string AdminId);
}
