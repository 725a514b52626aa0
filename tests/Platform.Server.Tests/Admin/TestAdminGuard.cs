using Microsoft.Extensions.Caching.Memory;
using Platform.Server.Admin;
using Platform.Server.Auth;
using Platform.Server.Storage;
using Platform.Server.Users;

namespace Platform.Server.Tests.Admin;

/// <summary>An <see cref="AdminSessionGuard"/> for services built by hand.</summary>
internal static class TestAdminGuard
{
    public static AdminSessionGuard Create(IDocumentStore store) =>
        new(store, new MemoryCache(new MemoryCacheOptions()), Microsoft.Extensions.Options.Options.Create(new UserAuthOptions()), new SessionEndings());
}
