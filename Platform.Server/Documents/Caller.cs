namespace Platform.Server.Documents;

/// <summary>
/// Who is asking, as far as documents care: the user id that becomes <c>_createdBy</c> (null for
/// service keys and admins, per DESIGN.md section 7) and whether the caller bypasses rules.
/// </summary>
public sealed record Caller(string? UserId, bool Privileged)
{
    /// <summary>A service key or an admin.</summary>
    public static readonly Caller Service = new(null, Privileged: true);
}
