using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Hosting;

namespace Platform.Server.Users;

/// <summary>Authorization policy names of the app-user endpoints.</summary>
public static class UserPolicies
{
    /// <summary>A signed-in app user (not an admin or a service key): 401 when signed out, 403 for other callers.</summary>
    public const string AppUser = "baas:app-user";
}

public static class UserServiceCollectionExtensions
{
    /// <summary>
    /// App users on ASP.NET Core Identity over the document store, sessions with rotating refresh tokens, and the
    /// session check on the Bearer scheme. Needs <c>AddBaasAuth</c>, Data Protection (for Identity's tokens), and an
    /// <see cref="Email.IEmailSender"/> for the mails.
    /// </summary>
    public static IServiceCollection AddBaasUsers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<UserAuthOptions>()
            .Bind(configuration.GetSection(UserAuthOptions.Section))
            .ValidateWith(new UserAuthOptionsValidator())
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache();

        services.AddIdentityCore<AppUser>()
            .AddUserStore<AppUserStore>()
            .AddUserManager<AppUserManager>()
            .AddPasswordValidator<PasswordLengthValidator>()
            .AddDefaultTokenProviders();

        // Identity's only user validator checks the user name, which here is the id, by reading the same user back
        // from the store before every create and update (each sign-in, each patch); the store already refuses a
        // duplicate id, and emails are checked by the endpoints and the unique index.
        services.RemoveAll<IUserValidator<AppUser>>();
        services.AddOptions<IdentityOptions>().Configure<IOptions<UserAuthOptions>>((identity, users) => Configure(identity, users.Value));
        services.AddOptions<DataProtectionTokenProviderOptions>()
            .Configure<IOptions<UserAuthOptions>>((tokens, users) => tokens.TokenLifespan = users.Value.EmailTokenLifetime);

        services.TryAddSingleton<DummyPassword>();
        services.TryAddSingleton<SessionGuard>();
        services.TryAddScoped<SessionService>();
        services.TryAddScoped<UserService>();
        services.TryAddScoped<UserAdminService>();
        services.TryAddScoped<UserMailer>();
        services.AddStartupTask<UsersInitializer>();
        services.TryAddSingleton<SessionCleanup>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionCleanup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallerSessionCheck, SessionGuard>(sp => sp.GetRequiredService<SessionGuard>()));

        services.AddAuthorizationBuilder().AddPolicy(UserPolicies.AppUser, policy => policy
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.GetBaasCaller()?.Kind == BaasCallerKind.User));
        return services;
    }

    internal static void Configure(IdentityOptions identity, UserAuthOptions users)
    {
        // Emails are unique through the store's unique index; Identity's check would also refuse users without one.
        identity.User.RequireUniqueEmail = false;
        identity.SignIn.RequireConfirmedEmail = false;
        identity.Password.RequiredLength = users.Password.RequiredLength;
        identity.Password.RequiredUniqueChars = users.Password.RequiredUniqueChars;
        identity.Password.RequireDigit = users.Password.RequireDigit;
        identity.Password.RequireLowercase = users.Password.RequireLowercase;
        identity.Password.RequireUppercase = users.Password.RequireUppercase;
        identity.Password.RequireNonAlphanumeric = users.Password.RequireNonAlphanumeric;
        identity.Lockout.AllowedForNewUsers = true;
        identity.Lockout.MaxFailedAccessAttempts = users.Lockout.MaxFailedAttempts;
        identity.Lockout.DefaultLockoutTimeSpan = users.Lockout.Duration;
    }
}
