using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Platform.Server.Admin;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Email;

namespace Platform.Server.Users;

/// <summary>
/// The self-service side of app users (<c>/api/auth</c>): sign-up, sign-in, sessions, profile, password reset and
/// email verification, on Identity's <see cref="AppUserManager"/>. Failures are <see cref="DomainException"/>s.
/// </summary>
internal sealed class UserService(
    AppUserManager users,
    SessionService sessions,
    DummyPassword dummyPassword,
    IServiceProvider services,
    TimeProvider time,
    ILogger<UserService> logger)
{
    private const int MaxSaveAttempts = 5;

    public async Task<(UserSessionResponse Session, bool Upgraded)> SignUpAsync(JsonObject body, BaasCaller? caller, CancellationToken cancellationToken)
    {
        UserProblems.OnlyFields(body, "email", "password", "data");
        var email = ValidEmail(UserProblems.RequiredString(body, "email"));
        var password = UserProblems.RequiredString(body, "password");
        var data = UserProblems.OptionalObject(body, "data");

        if (caller is { Kind: BaasCallerKind.User, Anonymous: true })
        {
            var user = await users.FindByIdAsync(caller.Id) ?? throw UserProblems.Unauthenticated("The anonymous account no longer exists.");
            if (user.Disabled)
            {
                throw UserProblems.UserDisabled();
            }

            user = await SaveAsync(user, async u =>
            {
                if (!u.Anonymous)
                {
                    throw new DomainException(ErrorKind.Conflict, "already_registered", "This account already has an email and password; sign in instead.");
                }

                u.Email = email;
                u.EmailConfirmed = false;
                u.Anonymous = false;
                u.SecurityStamp = NewStamp();
                u.LastLoginAt = time.GetUtcNow();
                if (data is not null)
                {
                    u.Data = UserData.Merge(u.Data, data);
                }

                return await users.UpdateWithPasswordAsync(u, password);
            });

            // The anonymous session's tokens say anon=true; the client switches to the new pair.
            if (caller.SessionId is not null)
            {
                await sessions.RevokeAsync(caller.SessionId, "upgraded to a registered account", cancellationToken);
            }

            UserLog.UserSignedUp(logger, user.Id, upgraded: true);
            return (UserSessionResponse.From(user, await sessions.StartAsync(user, cancellationToken)), true);
        }

        // Sign-up signs the user in (it answers a session), so it is their first sign-in, as Firebase records it.
        var created = new AppUser { Email = email, Data = UserData.Merge([], data ?? []), LastLoginAt = time.GetUtcNow() };
        var result = await users.CreateAsync(created, password);
        if (!result.Succeeded)
        {
            throw UserProblems.From(result);
        }

        UserLog.UserSignedUp(logger, created.Id, upgraded: false);
        return (UserSessionResponse.From(created, await sessions.StartAsync(created, cancellationToken)), false);
    }

    public async Task<UserSessionResponse> AnonymousAsync(CancellationToken cancellationToken)
    {
        var user = new AppUser { Anonymous = true, LastLoginAt = time.GetUtcNow() };
        var result = await users.CreateAsync(user);
        if (!result.Succeeded)
        {
            throw UserProblems.From(result);
        }

        return UserSessionResponse.From(user, await sessions.StartAsync(user, cancellationToken));
    }

    /// <summary>
    /// Unknown emails, accounts without a password and wrong passwords all answer the same 401 after the same
    /// amount of hashing. A locked account answers <c>locked_out</c> whatever the password.
    /// </summary>
    public async Task<UserSessionResponse> LoginAsync(JsonObject body, CancellationToken cancellationToken)
    {
        UserProblems.OnlyFields(body, "email", "password");
        var email = AdminCredentials.NormalizeEmail(UserProblems.RequiredString(body, "email"));
        var password = UserProblems.RequiredString(body, "password");
        if (password.Length > UserPasswordOptions.MaxLength)
        {
            UserLog.UserLoginFailed(logger, "password longer than any valid one");
            throw UserProblems.InvalidCredentials();
        }

        var user = await users.FindByEmailAsync(email);
        if (user?.PasswordHash is null)
        {
            dummyPassword.Verify(password);
            UserLog.UserLoginFailed(logger, user is null ? "unknown email" : "account without password");
            throw UserProblems.InvalidCredentials();
        }

        if (users.LockedOutUntil(user) is { } lockedUntil)
        {
            dummyPassword.Verify(password);
            throw LockedOut(lockedUntil);
        }

        if (!await users.CheckPasswordAsync(user, password))
        {
            // Re-read on a lost race so parallel guesses are all counted.
            user = await SaveAsync(user, users.AccessFailedAsync);
            UserLog.UserLoginFailed(logger, "wrong password");
            if (users.LockedOutUntil(user) is { } until)
            {
                UserLog.UserLockedOut(logger, user.Id, until);
                throw LockedOut(until);
            }

            throw UserProblems.InvalidCredentials();
        }

        if (user.Disabled)
        {
            throw UserProblems.UserDisabled();
        }

        user = await SaveAsync(user, u =>
        {
            u.AccessFailedCount = 0;
            u.LastLoginAt = time.GetUtcNow();
            return users.UpdateAsync(u);
        });
        return UserSessionResponse.From(user, await sessions.StartAsync(user, cancellationToken));
    }

    public async Task<UserSessionResponse> RefreshAsync(JsonObject body, CancellationToken cancellationToken)
    {
        UserProblems.OnlyFields(body, "refreshToken");
        var token = UserProblems.RequiredString(body, "refreshToken");
        var presented = await sessions.FindAsync(token, cancellationToken);
        var user = await users.FindByIdAsync(presented.UserId) ?? throw SessionService.InvalidRefreshToken();
        if (user.Disabled)
        {
            throw UserProblems.UserDisabled();
        }

        if (await sessions.IsRevokedAsync(presented.SessionId, cancellationToken))
        {
            throw SessionService.InvalidRefreshToken();
        }

        return UserSessionResponse.From(user, await sessions.RotateAsync(presented, user, cancellationToken));
    }

    /// <summary>Ends the caller's session, and the session of <c>refreshToken</c> when given and theirs.</summary>
    public async Task LogoutAsync(BaasCaller caller, JsonObject? body, CancellationToken cancellationToken)
    {
        string? token = null;
        if (body is not null)
        {
            UserProblems.OnlyFields(body, "refreshToken");
            token = UserProblems.OptionalString(body, "refreshToken");
        }

        if (caller.SessionId is not null)
        {
            await sessions.RevokeAsync(caller.SessionId, "logout", cancellationToken);
        }

        if (!string.IsNullOrEmpty(token))
        {
            RefreshTokenRecord? presented = null;
            try
            {
                presented = await sessions.FindAsync(token, cancellationToken);
            }
            catch (DomainException)
            {
                // Already unusable: nothing left to end.
            }

            if (presented is not null && presented.UserId == caller.Id)
            {
                await sessions.RevokeAsync(presented.SessionId, "logout", cancellationToken);
            }
        }
    }

    public async Task<AppUser> GetAsync(BaasCaller caller) =>
        await users.FindByIdAsync(caller.Id) ?? throw UserProblems.Unauthenticated("The account no longer exists.");

    /// <summary><c>PATCH /me</c>: only <c>data</c>, merged as RFC 7386 (null removes a key).</summary>
    public async Task<AppUser> PatchMeAsync(BaasCaller caller, JsonObject body)
    {
        UserProblems.OnlyFields(body, "data");
        if (!body.ContainsKey("data"))
        {
            throw UserProblems.Validation("data", "'data' is required: the profile fields to change.");
        }

        var patch = UserProblems.OptionalObject(body, "data");
        var user = await GetAsync(caller);
        return await SaveAsync(user, u =>
        {
            u.Data = patch is null ? [] : UserData.Merge(u.Data, patch);
            return users.UpdateAsync(u);
        });
    }

    /// <summary>Sends a reset mail when the email belongs to an enabled account; answers nothing either way.</summary>
    public async Task ForgotPasswordAsync(JsonObject body, CancellationToken cancellationToken)
    {
        UserProblems.OnlyFields(body, "email");
        var email = AdminCredentials.NormalizeEmail(UserProblems.RequiredString(body, "email"));
        var user = await users.FindByEmailAsync(email);
        if (user is null || user.Disabled || user.Email is null)
        {
            return;
        }

        try
        {
            await SendPasswordResetAsync(user, cancellationToken);
        }
        catch (EmailDeliveryException ex)
        {
            // An error only for registered emails would tell which ones are; the failure is for the operator's log.
            UserLog.PasswordResetMailFailed(logger, user.Id, ex);
        }
    }

    /// <summary>Mails a reset token (and link) to the user's address; <see cref="EmailDeliveryException"/> when SMTP fails.</summary>
    internal async Task SendPasswordResetAsync(AppUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user.Email);
        var token = await users.GeneratePasswordResetTokenAsync(user);
        await Mailer.SendPasswordResetAsync(user.Email, EmailTokens.Encode(user.Id, token), cancellationToken);
    }

    /// <summary>Sets the new password, lifts a lockout (the mail proves ownership) and ends every session.</summary>
    public async Task ResetPasswordAsync(JsonObject body, CancellationToken cancellationToken)
    {
        // "newPassword" (Firebase's name for it) is accepted as well; sending both is ambiguous.
        UserProblems.OnlyFields(body, "token", "password", "newPassword");
        var token = UserProblems.RequiredString(body, "token");
        if (body.ContainsKey("password") && body.ContainsKey("newPassword"))
        {
            throw new InvalidInputException("invalid_body", "Send the new password as 'password' or as 'newPassword', not both.", "newPassword");
        }

        var password = UserProblems.RequiredString(body, body.ContainsKey("newPassword") ? "newPassword" : "password");
        var (user, identityToken) = await FindByTokenAsync(token);
        user = await SaveAsync(user, u =>
        {
            u.LockoutEnd = null;
            u.AccessFailedCount = 0;
            return users.ResetPasswordAsync(u, identityToken, password);
        });
        await sessions.RevokeAllAsync(user.Id, "password reset", cancellationToken);
        UserLog.PasswordReset(logger, user.Id);
    }

    public async Task RequestVerificationAsync(BaasCaller caller, CancellationToken cancellationToken)
    {
        var user = await GetAsync(caller);
        if (user.Email is null)
        {
            throw new DomainException(ErrorKind.Invalid, "email_required", "An anonymous account has no email to verify; sign up first.");
        }

        if (user.EmailConfirmed)
        {
            return;
        }

        var token = await users.GenerateEmailConfirmationTokenAsync(user);
        await Mailer.SendVerificationAsync(user.Email, EmailTokens.Encode(user.Id, token), cancellationToken);
    }

    public async Task<AppUser> ConfirmEmailAsync(JsonObject body)
    {
        UserProblems.OnlyFields(body, "token");
        var token = UserProblems.RequiredString(body, "token");
        var (user, identityToken) = await FindByTokenAsync(token);
        return await SaveAsync(user, u => users.ConfirmEmailAsync(u, identityToken));
    }

    /// <summary>Applies <paramref name="change"/> and saves; on a lost race re-reads the user and applies it again.</summary>
    internal async Task<AppUser> SaveAsync(AppUser user, Func<AppUser, Task<IdentityResult>> change)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await change(user);
            if (result.Succeeded)
            {
                return user;
            }

            if (attempt < MaxSaveAttempts && result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure)))
            {
                user = await users.FindByIdAsync(user.Id) ?? throw DomainException.NotFound("The user no longer exists.");
                continue;
            }

            throw UserProblems.From(result);
        }
    }

    internal static string ValidEmail(string email)
    {
        var normalized = AdminCredentials.NormalizeEmail(email);
        var problems = AdminCredentials.ValidateEmail(normalized);
        return problems.Count == 0 ? normalized : throw UserProblems.Validation("email", problems[0]);
    }

    internal static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(20));

    // Resolved only when a mail is sent, so the server runs even where no sender is configured.
    private UserMailer Mailer => services.GetRequiredService<UserMailer>();

    /// <summary>The user a mailed token names, and the Identity token inside it.</summary>
    private async Task<(AppUser User, string IdentityToken)> FindByTokenAsync(string token)
    {
        if (!EmailTokens.TryDecode(token, out var userId, out var identityToken))
        {
            throw UserProblems.InvalidToken();
        }

        return (await users.FindByIdAsync(userId) ?? throw UserProblems.InvalidToken(), identityToken);
    }

    private LockedOutException LockedOut(DateTimeOffset until)
    {
        var seconds = (int)Math.Ceiling((until - time.GetUtcNow()).TotalSeconds);
        return new LockedOutException(Math.Max(1, seconds));
    }
}

/// <summary>401 <c>locked_out</c>; the endpoint adds <c>Retry-After</c> with <see cref="RetryAfterSeconds"/>.</summary>
internal sealed class LockedOutException : DomainException
{
    public LockedOutException(int retryAfterSeconds)
        : base(ErrorKind.Unauthenticated, "locked_out", $"Too many wrong passwords: this account is locked for {retryAfterSeconds} more seconds.")
    {
        RetryAfterSeconds = retryAfterSeconds;
        Extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["retryAfter"] = retryAfterSeconds };
    }

    public int RetryAfterSeconds { get; }
}
