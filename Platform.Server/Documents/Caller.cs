using System.Text.Json.Nodes;

namespace Platform.Server.Documents;

/// <summary>
/// Who is asking, as far as documents care: the user id that becomes <c>_createdBy</c> (null for
/// service keys and admins, per DESIGN.md section 7), whether the caller bypasses rules, and what rules
/// see of the caller as <c>auth</c> (null when signed out).
/// </summary>
public sealed record Caller(string? UserId, bool Privileged, JsonObject? Auth = null)
{
    /// <summary>
    /// Set when a function run makes the write (<c>ctx.db</c>, <c>ctx.userDb</c>): the change it produces carries
    /// it, so triggers can apply the loop guard and the chain-depth limit (DESIGN.md section 9).
    /// </summary>
    public Functions.WriteOrigin? Origin { get; init; }

    /// <summary>A service key or an admin.</summary>
    public static readonly Caller Service = new(null, Privileged: true);

    /// <summary>A visitor who is not signed in: rules apply with <c>auth</c> = null.</summary>
    public static readonly Caller Anonymous = new(null, Privileged: false);
}
