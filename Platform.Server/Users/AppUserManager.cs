using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Platform.Server.Users;

/// <summary>
/// Identity's <see cref="UserManager{TUser}"/> with lockout on the injected <see cref="TimeProvider"/>: the
/// framework's lockout reads the system clock, which would make lockout untestable and ignore a shifted clock.
/// </summary>
public sealed class AppUserManager(
    IUserStore<AppUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<AppUser> passwordHasher,
    IEnumerable<IUserValidator<AppUser>> userValidators,
    IEnumerable<IPasswordValidator<AppUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<AppUser>> logger,
    TimeProvider time)
    : UserManager<AppUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    /// <summary>When the user's lockout ends, or null when they are not locked out now.</summary>
    public DateTimeOffset? LockedOutUntil(AppUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.LockoutEnabled && user.LockoutEnd is { } end && end > time.GetUtcNow() ? end : null;
    }

    public override Task<bool> IsLockedOutAsync(AppUser user) => Task.FromResult(LockedOutUntil(user) is not null);

    /// <summary>Counts a wrong password; the one that reaches the limit locks the account and resets the count (as Identity does).</summary>
    public override async Task<IdentityResult> AccessFailedAsync(AppUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!user.LockoutEnabled)
        {
            return IdentityResult.Success;
        }

        user.AccessFailedCount++;
        if (user.AccessFailedCount >= Options.Lockout.MaxFailedAccessAttempts)
        {
            user.LockoutEnd = time.GetUtcNow() + Options.Lockout.DefaultLockoutTimeSpan;
            user.AccessFailedCount = 0;
        }

        return await UpdateUserAsync(user);
    }

    /// <summary>
    /// Validates and sets a new password together with whatever else the caller changed on <paramref name="user"/>,
    /// in one write (Identity's own methods write after each change).
    /// </summary>
    public async Task<IdentityResult> UpdateWithPasswordAsync(AppUser user, string password)
    {
        var result = await UpdatePasswordHash(user, password, validatePassword: true);
        return result.Succeeded ? await UpdateUserAsync(user) : result;
    }
}
