using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Sdk.Admin;
using Platform.Sdk.Auth;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Auth;

/// <summary>A clock running with real time plus an offset the test moves, so HTTP and timers still work.</summary>
internal sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>App-user auth through the SDK against a real server: sessions, refresh, token stores, events.</summary>
public sealed partial class AuthTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private const string Password = "Passw0rd-long";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewEmail() => $"u{Guid.NewGuid():N}@example.test";

    private BaasClient NewClient(IBaasTokenStore? store = null, TimeProvider? time = null) =>
        new(new BaasClientOptions { BaseUrl = fixture.BaseUrl, TokenStore = store, TimeProvider = time ?? TimeProvider.System });

    private static ConcurrentQueue<BaasAuthStateChangedEventArgs> Record(BaasClient client)
    {
        var events = new ConcurrentQueue<BaasAuthStateChangedEventArgs>();
        client.Auth.AuthStateChanged += (_, e) => events.Enqueue(e);
        return events;
    }

    /// <summary>The token of the newest mail to <paramref name="to"/>, read through the SDK's outbox client.</summary>
    private async Task<string> MailedTokenAsync(string to, string subject)
    {
        string? cursor = null;
        do
        {
            var page = await fixture.Client.Admin.Outbox.ListAsync(limit: 100, cursor: cursor, cancellationToken: Ct);
            if (page.Items.FirstOrDefault(m => m.To == to && m.Subject == subject) is { } mail)
            {
                Assert.NotEqual(default, mail.CreatedAt);
                return TokenLine().Match(mail.Body).Groups[1].Value;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        throw new InvalidOperationException($"No mail '{subject}' to {to} in the outbox.");
    }

    [GeneratedRegex("^Token: (\\S+)$", RegexOptions.Multiline)]
    private static partial Regex TokenLine();

    [Fact]
    public async Task SignUp_SignsInRaisesTheEvent_AndEveryCallCarriesTheUserToken()
    {
        using var client = NewClient();
        var events = Record(client);
        var email = NewEmail();
        var signedOut = await Assert.ThrowsAsync<BaasException>(() => client.Admin.Collections.ListAsync(Ct));

        var user = await client.Auth.SignUpAsync(email, Password, new JsonObject { ["name"] = "Ada" }, Ct);

        Assert.Equal(401, signedOut.Status);
        Assert.Equal(email, user.Email);
        Assert.False(user.Anonymous);
        Assert.Equal("Ada", user.Data["name"]!.GetValue<string>());
        Assert.Same(user, client.Auth.CurrentUser);
        var change = Assert.Single(events);
        Assert.Equal((BaasAuthChange.SignedIn, user.Id), (change.Change, change.User!.Id));
        Assert.Equal(user.Id, (await client.Auth.GetUserAsync(Ct))!.Id);
        // Signed in as an app user, not an admin: the admin API now says forbidden instead of unauthenticated.
        var forbidden = await Assert.ThrowsAsync<BaasException>(() => client.Admin.Collections.ListAsync(Ct));
        Assert.Equal(403, forbidden.Status);
    }

    [Fact]
    public async Task ApiKey_WinsForOrdinaryCalls_WhileAuthCallsUseTheUserToken()
    {
        using var client = fixture.CreateClient();
        var email = NewEmail();

        var user = await client.Auth.SignUpAsync(email, Password, cancellationToken: Ct);

        await client.Admin.Collections.ListAsync(Ct);
        Assert.Equal(user.Id, (await client.Auth.GetUserAsync(Ct))!.Id);
    }

    [Fact]
    public async Task SignIn_WithAWrongPassword_Is401AndLeavesTheClientSignedOut()
    {
        using var client = NewClient();
        var email = NewEmail();
        using (var other = NewClient())
        {
            await other.Auth.SignUpAsync(email, Password, cancellationToken: Ct);
        }

        var error = await Assert.ThrowsAsync<BaasException>(() => client.Auth.SignInAsync(email, "wrong-password", Ct));

        Assert.Equal((401, "invalid_credentials"), (error.Status, error.Code));
        Assert.Null(client.Auth.CurrentUser);
        Assert.Equal(email, (await client.Auth.SignInAsync(email, Password, Ct)).Email);
    }

    [Fact]
    public async Task SignUp_AfterAnonymousSignIn_UpgradesTheSameAccount()
    {
        using var client = NewClient();
        var anonymous = await client.Auth.SignInAnonymouslyAsync(Ct);

        var upgraded = await client.Auth.SignUpAsync(NewEmail(), Password, cancellationToken: Ct);

        Assert.True(anonymous.Anonymous);
        Assert.Null(anonymous.Email);
        Assert.Equal(anonymous.Id, upgraded.Id);
        Assert.False(upgraded.Anonymous);
    }

    [Fact]
    public async Task SignOut_EndsTheServerSession_ClearsTheStore_AndRaisesTheEvent()
    {
        var store = new InMemoryBaasTokenStore();
        using var client = NewClient(store);
        await client.Auth.SignUpAsync(NewEmail(), Password, cancellationToken: Ct);
        var session = (await store.LoadAsync(Ct))!;
        var events = Record(client);

        await client.Auth.SignOutAsync(Ct);

        Assert.Null(client.Auth.CurrentUser);
        Assert.Null(await store.LoadAsync(Ct));
        Assert.Equal(BaasAuthChange.SignedOut, Assert.Single(events).Change);
        Assert.Null(await client.Auth.GetUserAsync(Ct));
        // The old refresh token is dead on the server, so a client restored from it ends up signed out.
        using var restored = NewClient(Store(session with { AccessToken = "not-a-token" }));
        var error = await Assert.ThrowsAsync<BaasException>(() => restored.Auth.GetUserAsync(Ct));
        Assert.Equal(401, error.Status);
        Assert.Null(restored.Auth.CurrentUser);
    }

    [Fact]
    public async Task AccessToken_IsRefreshedShortlyBeforeItExpires()
    {
        var time = new ShiftedTimeProvider();
        var store = new InMemoryBaasTokenStore();
        using var client = NewClient(store, time);
        var user = await client.Auth.SignUpAsync(NewEmail(), Password, cancellationToken: Ct);
        var before = (await store.LoadAsync(Ct))!;
        var events = Record(client);

        Assert.Equal(before.AccessToken, await client.Auth.GetAccessTokenAsync(Ct));
        time.Advance(before.ExpiresAt - time.GetUtcNow() - TimeSpan.FromSeconds(10));
        var me = await client.Auth.GetUserAsync(Ct);

        var after = (await store.LoadAsync(Ct))!;
        Assert.Equal(user.Id, me!.Id);
        Assert.NotEqual(before.AccessToken, after.AccessToken);
        Assert.NotEqual(before.RefreshToken, after.RefreshToken);
        Assert.True(after.ExpiresAt > before.ExpiresAt);
        var change = Assert.Single(events);
        Assert.Equal((BaasAuthChange.TokenRefreshed, user.Id), (change.Change, change.User!.Id));
    }

    [Fact]
    public async Task RefusedAccessToken_IsRefreshedOnce_AndTheCallSucceeds()
    {
        var session = await NewSessionAsync();
        var store = Store(session with { AccessToken = "refused-by-the-server" });
        using var client = NewClient(store);
        await client.Auth.RestoreAsync(Ct);
        var events = Record(client);

        var me = await client.Auth.GetUserAsync(Ct);

        Assert.Equal(session.User.Id, me!.Id);
        Assert.Equal(BaasAuthChange.TokenRefreshed, Assert.Single(events).Change);
        Assert.NotEqual("refused-by-the-server", (await store.LoadAsync(Ct))!.AccessToken);
    }

    [Fact]
    public async Task ConcurrentCalls_ShareOneRefresh()
    {
        var session = await NewSessionAsync();
        using var client = NewClient(Store(session with { AccessToken = "refused-by-the-server" }));
        await client.Auth.RestoreAsync(Ct);
        var events = Record(client);

        // A second refresh would present the rotated refresh token again, which the server treats as theft
        // and answers by ending the session: every call succeeding shows there was only one.
        var users = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.Auth.GetUserAsync(Ct)));

        Assert.All(users, u => Assert.Equal(session.User.Id, u!.Id));
        Assert.Equal(BaasAuthChange.TokenRefreshed, Assert.Single(events).Change);
    }

    [Fact]
    public async Task RefusedRefreshToken_SignsOut_AndRaisesTheEvent()
    {
        var session = await NewSessionAsync();
        var store = Store(session with { AccessToken = "refused", RefreshToken = "also-refused" });
        using var client = NewClient(store);
        await client.Auth.RestoreAsync(Ct);
        var events = Record(client);

        var error = await Assert.ThrowsAsync<BaasException>(() => client.Auth.GetUserAsync(Ct));

        Assert.Equal(401, error.Status);
        Assert.Null(client.Auth.CurrentUser);
        Assert.Null(await store.LoadAsync(Ct));
        Assert.Equal(BaasAuthChange.SignedOut, Assert.Single(events).Change);
    }

    [Fact]
    public async Task FileTokenStore_KeepsTheSessionAcrossClients()
    {
        var path = Path.Combine(Path.GetTempPath(), "baas-sdk-tests", Guid.NewGuid().ToString("N"), "session.json");
        try
        {
            string id;
            using (var first = NewClient(new FileBaasTokenStore(path)))
            {
                id = (await first.Auth.SignUpAsync(NewEmail(), Password, cancellationToken: Ct)).Id;
            }

            using var second = NewClient(new FileBaasTokenStore(path));
            var events = Record(second);
            Assert.Null(second.Auth.CurrentUser);

            var restored = await second.Auth.RestoreAsync(Ct);

            Assert.Equal(id, restored!.Id);
            Assert.Equal(BaasAuthChange.SignedIn, Assert.Single(events).Change);
            Assert.Equal(id, (await second.Auth.GetUserAsync(Ct))!.Id);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            await second.Auth.SignOutAsync(Ct);
            Assert.False(File.Exists(path));
            using var third = NewClient(new FileBaasTokenStore(path));
            Assert.Null(await third.Auth.RestoreAsync(Ct));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task FileTokenStore_TreatsADamagedFileAsSignedOut()
    {
        var folder = Path.Combine(Path.GetTempPath(), "baas-sdk-tests", Guid.NewGuid().ToString("N"));
        var path = Path.Combine(folder, "session.json");
        try
        {
            var store = new FileBaasTokenStore(path);
            Assert.Null(await store.LoadAsync(Ct));
            await store.ClearAsync(Ct);
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(path, "{ not json", Ct);

            Assert.Null(await store.LoadAsync(Ct));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task UpdateProfile_MergesTheData_AndRaisesUserUpdated()
    {
        using var client = NewClient();
        await client.Auth.SignUpAsync(NewEmail(), Password, new JsonObject { ["name"] = "Ada", ["city"] = "London" }, Ct);
        var events = Record(client);

        var user = await client.Auth.UpdateProfileAsync(new JsonObject { ["city"] = null, ["lang"] = "en" }, Ct);

        Assert.Equal("""{"name":"Ada","lang":"en"}""", user.Data.ToJsonString());
        Assert.Equal(user, client.Auth.CurrentUser);
        Assert.Equal(BaasAuthChange.UserUpdated, Assert.Single(events).Change);
    }

    [Fact]
    public async Task PasswordReset_WithTheMailedToken_SetsTheNewPassword()
    {
        using var client = NewClient();
        var email = NewEmail();
        await client.Auth.SignUpAsync(email, Password, cancellationToken: Ct);
        await client.Auth.SignOutAsync(Ct);

        await client.Auth.SendPasswordResetAsync(email, Ct);
        await client.Auth.ResetPasswordAsync(await MailedTokenAsync(email, "Reset your password"), "New-passw0rd", Ct);

        var old = await Assert.ThrowsAsync<BaasException>(() => client.Auth.SignInAsync(email, Password, Ct));
        Assert.Equal(401, old.Status);
        Assert.Equal(email, (await client.Auth.SignInAsync(email, "New-passw0rd", Ct)).Email);
        var token = await MailedTokenAsync(email, "Reset your password");
        var reused = await Assert.ThrowsAsync<BaasException>(() => client.Auth.ResetPasswordAsync(token, "Another-passw0rd", Ct));
        Assert.Equal(400, reused.Status);
    }

    [Fact]
    public async Task EmailVerification_WithTheMailedToken_MarksTheCurrentUserVerified()
    {
        using var client = NewClient();
        var email = NewEmail();
        var user = await client.Auth.SignUpAsync(email, Password, cancellationToken: Ct);

        await client.Auth.RequestEmailVerificationAsync(Ct);
        var confirmed = await client.Auth.ConfirmEmailAsync(await MailedTokenAsync(email, "Verify your email address"), Ct);

        Assert.False(user.EmailVerified);
        Assert.True(confirmed.EmailVerified);
        Assert.True(client.Auth.CurrentUser!.EmailVerified);
        Assert.True((await client.Auth.GetUserAsync(Ct))!.EmailVerified);
    }

    [Fact]
    public async Task AdminUsers_CreateGetListUpdateDelete()
    {
        var users = fixture.Client.Admin.Users;
        var email = NewEmail();

        var created = await users.CreateAsync(new NewUser { Email = email, Password = Password, Roles = ["editor"], Data = new JsonObject { ["team"] = "a" } }, Ct);
        var read = await users.GetAsync(created.Id, Ct);
        var found = await users.ListAsync(search: email, cancellationToken: Ct);
        var all = new List<BaasUser>();
        await foreach (var user in users.AsAsyncEnumerable(pageSize: 2, cancellationToken: Ct))
        {
            all.Add(user);
        }

        Assert.Equal(email, created.Email);
        Assert.Equal(["editor"], created.Roles);
        Assert.Equal(created.Id, read!.Id);
        Assert.Equal(created.Id, Assert.Single(found.Items).Id);
        Assert.Contains(all, u => u.Id == created.Id);
        Assert.Equal(all.Count, all.Select(u => u.Id).Distinct().Count());

        var updated = await users.UpdateAsync(created.Id, new UserUpdate { Roles = ["editor", "admin-helper"], Disabled = true, Data = new JsonObject { ["team"] = "b" } }, Ct);
        Assert.Equal(["editor", "admin-helper"], updated.Roles);
        Assert.True(updated.Disabled);
        Assert.Equal("b", updated.Data["team"]!.GetValue<string>());
        using (var client = NewClient())
        {
            var disabled = await Assert.ThrowsAsync<BaasException>(() => client.Auth.SignInAsync(email, Password, Ct));
            Assert.Equal(403, disabled.Status);
        }

        Assert.True(await users.DeleteAsync(created.Id, Ct));
        Assert.Null(await users.GetAsync(created.Id, Ct));
        Assert.False(await users.DeleteAsync(created.Id, Ct));
    }

    [Fact]
    public async Task AdminUsers_SendAPasswordReset_AndEndEverySession()
    {
        var users = fixture.Client.Admin.Users;
        var email = NewEmail();
        using var client = NewClient();
        var user = await client.Auth.SignUpAsync(email, Password, cancellationToken: Ct);

        await users.SendPasswordResetAsync(user.Id, Ct);
        using (var other = NewClient())
        {
            await other.Auth.ResetPasswordAsync(await MailedTokenAsync(email, "Reset your password"), "New-passw0rd", Ct);
        }

        // The reset ended the session; sign in again, then the admin ends that one too.
        await client.Auth.SignInAsync(email, "New-passw0rd", Ct);
        Assert.True(await users.RevokeSessionsAsync(user.Id, Ct));
        var ended = await Assert.ThrowsAsync<BaasException>(() => client.Auth.GetUserAsync(Ct));
        Assert.Equal(401, ended.Status);

        Assert.False(await users.RevokeSessionsAsync("nosuchuser123", Ct));
        var unknown = await Assert.ThrowsAsync<BaasException>(() => users.SendPasswordResetAsync("nosuchuser123", Ct));
        Assert.Equal(404, unknown.Status);
    }

    [Fact]
    public async Task AdminSettings_ServerOverview_NamesVersionStorageAndReadiness()
    {
        var overview = await fixture.Client.Admin.Settings.GetServerOverviewAsync(Ct);

        Assert.False(string.IsNullOrEmpty(overview.Version));
        Assert.Equal("sqlite", overview.StorageProvider);
        Assert.True(overview.Ready);
        Assert.Equal("healthy", overview.Health);
        Assert.True(overview.Functions >= 0);
        Assert.NotNull(overview.RecentFailures);

        var none = await fixture.Client.Admin.Settings.GetServerOverviewAsync(failures: 0, Ct);
        Assert.Empty(none.RecentFailures);
        var refused = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Admin.Settings.GetServerOverviewAsync(failures: 51, Ct));
        Assert.Equal("invalid_limit", refused.Code);
    }

    private async Task<BaasSession> NewSessionAsync()
    {
        var store = new InMemoryBaasTokenStore();
        using var client = NewClient(store);
        await client.Auth.SignUpAsync(NewEmail(), Password, cancellationToken: Ct);
        return (await store.LoadAsync(Ct))!;
    }

    private static InMemoryBaasTokenStore Store(BaasSession session)
    {
        var store = new InMemoryBaasTokenStore();
        store.SaveAsync(session).AsTask().GetAwaiter().GetResult();
        return store;
    }
}
