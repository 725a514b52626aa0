using System.Text.Json.Nodes;

namespace Platform.Server.Users;

/// <summary>
/// An app user as ASP.NET Core Identity sees it, stored in <c>_users</c> by <see cref="AppUserStore"/>.
/// Identity's user name is the id: users sign in by email, and anonymous users have none.
/// </summary>
public sealed class AppUser
{
    /// <summary>Time-ordered, so the admin listing (keyset-paged by id) comes out in creation order.</summary>
    public string Id { get; set; } = Guid.CreateVersion7().ToString("N");

    /// <summary>The address as the user gave it (trimmed, lower-cased); null for anonymous users.</summary>
    public string? Email { get; set; }

    /// <summary>Identity's normalized email, the unique lookup key; absent for anonymous users.</summary>
    public string? NormalizedEmail { get; set; }

    public bool EmailConfirmed { get; set; }

    /// <summary>Null for anonymous users and for users an admin created without a password.</summary>
    public string? PasswordHash { get; set; }

    public string? SecurityStamp { get; set; }

    public bool Anonymous { get; set; }

    public IList<string> Roles { get; init; } = [];

    /// <summary>Profile data the user owns (<c>PATCH /api/auth/me</c>).</summary>
    public JsonObject Data { get; set; } = [];

    public bool Disabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastLoginAt { get; set; }

    public DateTimeOffset? LockoutEnd { get; set; }

    public int AccessFailedCount { get; set; }

    public bool LockoutEnabled { get; set; }

    /// <summary>The stored <c>_version</c> this object was read at; 0 before it is first stored.</summary>
    public long Version { get; set; }
}
