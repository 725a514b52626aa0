using Microsoft.AspNetCore.Identity;

namespace Platform.Server.Users;

/// <summary>Caps password length: PBKDF2's cost grows with the input, so an unbounded password is a CPU sink.</summary>
internal sealed class PasswordLengthValidator : IPasswordValidator<AppUser>
{
    public const string Code = "PasswordTooLong";

    public Task<IdentityResult> ValidateAsync(UserManager<AppUser> manager, AppUser user, string? password) =>
        Task.FromResult(password is { Length: > UserPasswordOptions.MaxLength }
            ? IdentityResult.Failed(new IdentityError { Code = Code, Description = $"Passwords must be at most {UserPasswordOptions.MaxLength} characters." })
            : IdentityResult.Success);
}
